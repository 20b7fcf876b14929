//! The heartbeat rule: `max_gap` (no silence longer than the interval,
//! watched long enough to tell a provider that keeps itself alive from one
//! that goes quiet once nobody pokes it).

use std::time::Duration;

use tokio::time::Instant;

use super::{CheckRun, Failure, Stepped, seconds};
use crate::clock::human;
use crate::session::{Moment, What};
use crate::suite::HeartbeatAction;
use crate::wire::EventKind;

/// Judged against the tolerance below, a provider heartbeating exactly every
/// interval passes despite network jitter…
const GAP_TOLERANCE: f64 = 1.01;
/// …and watching this far past the harness's last activity makes a silent
/// provider's gap exceed it.
const GAP_EXTENSION: f64 = 1.02;

/// How long after puppet-lint's last activity an event shows the provider speaking unprompted: a quarter of the
/// interval, from 5 s to 15 s. Answers come sooner (the official wechaty-puppet-mock answers a `Ding` a second later).
fn unprompted_after(interval: Duration) -> Duration {
    (interval / 4).clamp(Duration::from_secs(5), Duration::from_secs(15))
}

impl CheckRun {
    pub(super) async fn heartbeat_step(&mut self, action: &HeartbeatAction) -> Result<Stepped, Failure> {
        let HeartbeatAction::MaxGap { interval, window } = action;
        let (interval, window) = (self.duration(interval)?, self.duration(window)?);
        self.max_gap(interval, window).await?;
        Ok(Stepped::nothing())
    }

    /// The heartbeat rule. The window closes only when the provider has been
    /// watched long enough to tell "alive when idle" from "quiet once nobody
    /// pokes it" ([`Gaps::ends`]): a provider that speaks unprompted costs
    /// the window, one that does not a full interval past the harness's last
    /// activity, and more.
    async fn max_gap(&mut self, interval: Duration, window: Duration) -> Result<(), Failure> {
        if let Some(spans) = self.context.recorded_spans().cloned() {
            return self.recorded_gap(interval, spans.get(&self.check.id).copied());
        }
        let timeline = self.context.timeline.clone();
        let start = timeline.now();
        let allowed = interval.mul_f64(GAP_TOLERANCE);
        // Read incrementally, on the index alone: a flood costs no re-reads.
        let mut watch = Gaps::new(start, timeline.len().saturating_sub(1));
        let session = self.context.session().cloned();
        loop {
            let now = timeline.now();
            timeline.visit_moments(watch.next, |moment| watch.take(moment));
            // While puppet-lint has no stream (it subscribes again), no event can reach it: the silence is held
            // where it stands, and starts afresh with the new stream.
            if session.as_ref().is_some_and(|session| !session.streaming()) {
                watch.hold(now);
            }
            let activity = timeline.last_activity().unwrap_or(start).max(start);
            // A silence already longer than allowed fails at once.
            if now.saturating_sub(watch.previous) > allowed {
                return Err(self.gap_failure(interval, start, now, watch.previous, now, activity));
            }
            if watch.ends(now, window, interval, activity).is_some() {
                break;
            }
            let base_end = watch.earliest_end(window, interval, activity);
            if Instant::now() >= self.deadline {
                return Err(Failure::error("the check's budget ran out before its window did; raise its timeout"));
            }
            let shown_end = base_end.max(now);
            self.progress(
                format!("watching {} / {}", human(now - start), human(shown_end - start)),
                Some((now - start, shown_end - start)),
            );
            let step = base_end.saturating_sub(now).clamp(Duration::from_millis(20), Duration::from_millis(250));
            tokio::time::sleep_until(Instant::now() + step).await;
        }
        timeline.visit_moments(watch.next, |moment| watch.take(moment));
        let end = timeline.now();
        let mut largest = watch.largest;
        if end.saturating_sub(watch.previous) > largest.0 {
            largest = (end - watch.previous, watch.previous);
        }
        if largest.0 > allowed {
            let activity = timeline.last_activity().unwrap_or(start);
            return Err(self.gap_failure(interval, start, end, largest.1, largest.1 + largest.0, activity));
        }
        self.note = Some(format!("largest gap {} over {}", human(largest.0), human(end - start)));
        Ok(())
    }

    /// The heartbeat rule on a recording: the gaps between the provider's
    /// events over the span the recorded check watched (`span`: from, to).
    fn recorded_gap(&mut self, interval: Duration, span: Option<(Duration, Duration)>) -> Result<(), Failure> {
        let Some((start, end)) = span else {
            return Err(Failure {
                kind: super::Kind::Skip,
                summary: crate::engine::rejudge::NEEDS_LIVE.to_owned(),
                expected: String::new(),
                observed: "the recorded run did not run this check: no window of it to judge".to_owned(),
                focus: None,
            });
        };
        let timeline = self.context.timeline.clone();
        let allowed = interval.mul_f64(GAP_TOLERANCE);
        let mut watch = Gaps::new(start, 0);
        timeline.visit_moments(0, |moment| {
            if moment.at <= end {
                watch.take(moment);
            }
        });
        let mut largest = watch.largest;
        if end.saturating_sub(watch.previous) > largest.0 {
            largest = (end - watch.previous, watch.previous);
        }
        if largest.0 > allowed {
            let activity = timeline
                .others_since(0)
                .iter()
                .filter(|entry| entry.at <= end && matches!(&entry.what, What::Rpc(rpc) if rpc.name.causes_events()))
                .map(|entry| entry.at)
                .next_back()
                .unwrap_or(start);
            return Err(self.gap_failure(interval, start, end, largest.1, largest.1 + largest.0, activity));
        }
        self.note = Some(format!("largest gap {} over {} (recorded)", human(largest.0), human(end - start)));
        Ok(())
    }

    fn gap_failure(
        &self,
        interval: Duration,
        start: Duration,
        end: Duration,
        from: Duration,
        to: Duration,
        activity: Duration,
    ) -> Failure {
        Failure::fail(
            format!("no event for {} (more than {})", seconds(to - from), seconds(interval)),
            format!(
                "at least one event every {} (watched +{} to +{}; puppet-lint's last activity was at +{})",
                human(interval),
                seconds(start),
                seconds(end),
                seconds(activity)
            ),
            format!("silence from +{} to +{}", seconds(from), seconds(to)),
        )
        .at(from)
    }
}

/// The heartbeat rule's running account of the events since `start`.
struct Gaps {
    start: Duration,
    /// The next index entry to look at.
    next: usize,
    /// The last counted event (or the start).
    previous: Duration,
    /// The largest gap so far, and where it began.
    largest: (Duration, Duration),
    /// The provider's last event other than a heartbeat, and its last
    /// heartbeat of its own (not a stream-connect one).
    other: Option<Duration>,
    heartbeat: Option<Duration>,
}

impl Gaps {
    /// When the watch may end, if it may end by `now` (instants since the run began): `None` while it must go on.
    ///
    /// It ends once the window is over and either the provider was seen alive with nobody poking it — an event of its
    /// own (a heartbeat or another) [`unprompted_after`] puppet-lint's last `activity` (no answer comes that late):
    /// it keeps itself alive — or, failing that, a full interval past that activity (so the silence of a
    /// provider that speaks only when spoken to shows) and then a heartbeat after its last other event, a full
    /// interval past that event, or at most one interval more than the window.
    fn ends(&self, now: Duration, window: Duration, interval: Duration, activity: Duration) -> Option<Duration> {
        let end = self.earliest_end(window, interval, activity);
        if now < end {
            return None;
        }
        let extension = interval.mul_f64(GAP_EXTENSION);
        let (other, heartbeat) = (self.other, self.heartbeat);
        let settled = self.unprompted(interval, activity)
            || heartbeat.is_some_and(|heartbeat| heartbeat > other.unwrap_or(self.start))
            || now >= other.unwrap_or(self.start) + extension
            || now >= (self.start + window + extension).max(end);
        settled.then_some(end)
    }

    /// The earliest the watch may end: the window, or a full interval past puppet-lint's last activity unless the
    /// provider was seen alive unprompted.
    fn earliest_end(&self, window: Duration, interval: Duration, activity: Duration) -> Duration {
        let window_end = self.start + window;
        if self.unprompted(interval, activity) {
            window_end
        } else {
            window_end.max(activity + interval.mul_f64(GAP_EXTENSION))
        }
    }

    /// Whether the provider spoke with nobody poking it: an event [`unprompted_after`] `activity`.
    fn unprompted(&self, interval: Duration, activity: Duration) -> bool {
        let after = activity + unprompted_after(interval);
        self.heartbeat.max(self.other).is_some_and(|last| last >= after)
    }

    fn new(start: Duration, from: usize) -> Gaps {
        Gaps { start, next: from, previous: start, largest: (Duration::ZERO, start), other: None, heartbeat: None }
    }

    /// No event could arrive up to `now` (no stream): the silence so far is a gap, and the next starts at `now`.
    fn hold(&mut self, now: Duration) {
        let gap = now.saturating_sub(self.previous);
        if gap > self.largest.0 {
            self.largest = (gap, self.previous);
        }
        self.previous = self.previous.max(now);
    }

    /// Counts the events that show the puppet is alive: all but each
    /// stream's connect heartbeat. That one starts the silence afresh: while
    /// puppet-lint had no stream (it subscribed again, a check's
    /// `resubscribe`, or the server ended it), no event could reach it, and
    /// that silence is not the puppet's (`events.resubscribe` and
    /// `events.stream-stays-open` judge it).
    fn take(&mut self, moment: &Moment) {
        self.next = moment.seq + 1;
        let Some(kind) = moment.kind else { return };
        if moment.at < self.start {
            return;
        }
        if moment.connect_heartbeat {
            self.previous = self.previous.max(moment.at);
            return;
        }
        let gap = moment.at.saturating_sub(self.previous);
        if gap > self.largest.0 {
            self.largest = (gap, self.previous);
        }
        self.previous = self.previous.max(moment.at);
        if kind == EventKind::Heartbeat {
            self.heartbeat = Some(moment.at);
        } else {
            self.other = Some(moment.at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    /// A watch from 0 with a 60 s window and interval, its provider's last other event and heartbeat.
    fn watched(other: Option<u64>, heartbeat: Option<u64>) -> Gaps {
        let mut gaps = Gaps::new(Duration::ZERO, 0);
        (gaps.other, gaps.heartbeat) = (other.map(S), heartbeat.map(S));
        gaps
    }

    #[test]
    fn a_heartbeat_after_the_last_poke_ends_the_watch_with_the_window() {
        // Pokes until 4 s; heartbeats of its own every 15 s.
        let gaps = watched(Some(2), Some(45));
        assert_eq!(gaps.ends(S(60), S(60), S(60), S(4)), Some(S(60)));
        assert_eq!(gaps.ends(S(59), S(60), S(60), S(4)), None, "never before the window");
    }

    #[test]
    fn chatter_long_after_the_last_poke_ends_the_watch_with_the_window() {
        // No heartbeat at all, but messages every 5 s (the official wechaty-puppet-mock's chatter).
        let gaps = watched(Some(55), None);
        assert_eq!(gaps.ends(S(60), S(60), S(60), S(4)), Some(S(60)));
    }

    #[test]
    fn an_answer_soon_after_the_last_poke_is_no_sign_of_life() {
        // A dong or an echo 3 s after the last rpc, then silence: the watch goes a full interval past the poke.
        let gaps = watched(Some(7), None);
        assert_eq!(gaps.ends(S(60), S(60), S(60), S(4)), None);
        let end = S(4) + S(60).mul_f64(GAP_EXTENSION);
        assert_eq!(gaps.earliest_end(S(60), S(60), S(4)), end);
        // …and then on to a full interval past that answer, to see the silence after it.
        assert_eq!(gaps.ends(end, S(60), S(60), S(4)), None);
        assert_eq!(gaps.ends(S(7) + S(60).mul_f64(GAP_EXTENSION), S(60), S(60), S(4)), Some(end));
    }

    #[test]
    fn a_heartbeat_before_a_late_poke_does_not_count() {
        // A heartbeat at 30 s, then puppet-lint pokes at 50 s and the provider falls silent.
        let gaps = watched(Some(50), Some(30));
        assert_eq!(gaps.ends(S(60), S(60), S(60), S(50)), None);
        assert!(gaps.earliest_end(S(60), S(60), S(50)) > S(110));
    }

    #[test]
    fn unprompted_means_a_quarter_interval_from_5_to_15_s_past_the_last_poke() {
        assert_eq!(unprompted_after(S(2)), S(5));
        assert_eq!(unprompted_after(S(40)), S(10));
        assert_eq!(unprompted_after(S(600)), S(15));
        // A 2 s window: a dong a second after the Ding is an answer, and the watch goes on past the poke.
        let gaps = watched(Some(3), None);
        assert_eq!(gaps.ends(S(4), S(4), S(2), S(2)), None);
        // A heartbeat right after the poke is no proof either (a provider may answer a Ding with one).
        let gaps = watched(Some(2), Some(6));
        assert_eq!(gaps.ends(S(60), S(60), S(60), S(4)), None);
    }
}
