//! What a replay is — the one definition: the timeline marks each event with it as it arrives (and the recording
//! keeps the mark), and the state judge reads the mark.
//!
//! On every new subscription the official server sends the connect heartbeat, then `login` if logged in, then
//! `ready` 100 ms later if ready (wechaty-puppet-service 1.19.9 server/event-stream-manager.js `start()`; WIRE.md
//! "Events"); some services also replay a cached `scan`. So a `login`, `ready` or `scan` is a replay when it is the
//! first of its kind on the latest subscription, arrives within [`REPLAY_WINDOW`] of that subscription, and no
//! `Start` has been sent since it opened (a `Start` ends the replays from its request on: its first live events can
//! overtake its reply).

use std::time::Duration;

use crate::wire::EventKind;

/// How long after a subscription its replays may arrive (the official server replays `ready` after 100 ms).
pub const REPLAY_WINDOW: Duration = Duration::from_secs(1);

/// Tells replays from live events, fed in the order things happen.
#[derive(Debug, Clone, Default)]
pub struct Replays {
    /// The latest subscription, when it opened, while its replays may still come.
    open: Option<(u32, Duration)>,
    /// The kinds already replayed on it.
    seen: Vec<EventKind>,
}

impl Replays {
    /// A subscription opened as `stream` at `at`.
    pub fn subscribed(&mut self, stream: u32, at: Duration) {
        self.open = Some((stream, at));
        self.seen.clear();
    }

    /// A `Start` is being sent: no replay after it.
    pub fn start_sent(&mut self) {
        self.open = None;
    }

    /// Whether an event of `kind` on `stream` at `at` is a replay (and, if so, its kind's replay is used up).
    pub fn mark(&mut self, stream: u32, kind: EventKind, at: Duration) -> bool {
        let replay = matches!(kind, EventKind::Login | EventKind::Ready | EventKind::Scan)
            && self.open.is_some_and(|(open, opened)| open == stream && at.saturating_sub(opened) <= REPLAY_WINDOW)
            && !self.seen.contains(&kind);
        if replay {
            self.seen.push(kind);
        }
        replay
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
        assert!(!replays.mark(1, EventKind::Heartbeat, MS(1)));
        assert!(replays.mark(1, EventKind::Login, MS(2)));
        assert!(!replays.mark(1, EventKind::Login, MS(3)), "a second login is live");
        assert!(replays.mark(1, EventKind::Ready, MS(100)));
        assert!(!replays.mark(1, EventKind::Scan, MS(1_001)), "past the window");
    }

    #[test]
    fn start_ends_the_replays_and_only_the_latest_stream_replays() {
        let mut replays = Replays::default();
        replays.subscribed(1, MS(0));
        replays.start_sent();
        assert!(!replays.mark(1, EventKind::Login, MS(5)));
        replays.subscribed(2, MS(10));
        assert!(!replays.mark(1, EventKind::Login, MS(11)), "an old stream's event");
        assert!(replays.mark(2, EventKind::Login, MS(12)));
    }
}
