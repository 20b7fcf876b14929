//! The timeline as an [`Overview`]: one pass over the index (16 bytes an
//! event, no payload read back) and the few entries that are no events, so a
//! flood costs a walk of its index and nothing more.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Timeline, What};
use crate::events::overview::{
    Gap, KINDS, KindBins, NOTES, NoteMark, OTHER_TYPES, Overview, RPCS, RpcSpan, RpcStats, STATES, STREAMS, StateMark,
    StreamSpan, TEXT_LIMIT,
};
use crate::events::truncate;
use crate::wire::EventKind;

/// The events that tell the login state.
const STATE_KINDS: &[EventKind] =
    &[EventKind::Scan, EventKind::Login, EventKind::Ready, EventKind::Logout, EventKind::Reset];

impl Timeline {
    /// The timeline in bounded form, over its span up to `end` (the run's
    /// end; the last entry if later).
    pub fn overview(&self, end: Duration) -> Overview {
        let last = self.len().checked_sub(1).and_then(|seq| self.moment(seq)).map_or(Duration::ZERO, |m| m.at);
        let span = end.max(last);
        let mut overview = Overview::over(span.as_millis() as u64);
        let bins = overview.gaps_ms.len();
        // Per wire number: its bins; types past the cap share one row.
        let mut kinds: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        let mut other_types: Option<Vec<u32>> = None;
        let mut previous = Duration::ZERO;
        let mut longest = Gap::default();
        let mut gap = |overview: &mut Overview, from: Duration, to: Duration| {
            let length = to.saturating_sub(from).as_millis() as u64;
            let bin = overview.bin(to.as_millis() as u64);
            overview.gaps_ms[bin] = overview.gaps_ms[bin].max(length);
            if length > longest.gap_ms {
                longest = Gap { from_ms: from.as_millis() as u64, gap_ms: length };
            }
        };
        self.visit_moments(0, |moment| {
            let Some(kind) = moment.kind else { return };
            let at_ms = moment.at.as_millis() as u64;
            let bin = overview.bin(at_ms);
            let number = kind.wire();
            let row = if kinds.contains_key(&number) || kinds.len() < KINDS {
                kinds.entry(number).or_insert_with(|| vec![0; bins])
            } else {
                other_types.get_or_insert_with(|| vec![0; bins])
            };
            row[bin] = row[bin].saturating_add(1);
            if STATE_KINDS.contains(&kind) {
                if overview.states.len() < STATES {
                    overview.states.push(StateMark {
                        seq: moment.seq,
                        at_ms,
                        event: kind.name(),
                        replay: moment.replay,
                    });
                } else {
                    overview.states_omitted += 1;
                }
            }
            if !moment.connect_heartbeat {
                gap(&mut overview, previous, moment.at);
            }
            previous = previous.max(moment.at);
        });
        gap(&mut overview, previous, span);
        overview.longest_gap = (longest.gap_ms > 0).then_some(longest);
        let row = |event: String, counts: Vec<u32>| KindBins {
            event,
            total: counts.iter().map(|count| u64::from(*count)).sum(),
            counts,
        };
        overview.events =
            kinds.into_iter().map(|(number, counts)| row(EventKind::from_wire(number).name(), counts)).collect();
        overview.events.extend(other_types.map(|counts| row(OTHER_TYPES.to_owned(), counts)));
        let cut = |text: &str| truncate(text, TEXT_LIMIT);
        let mut stats: BTreeMap<&'static str, RpcStats> = BTreeMap::new();
        for entry in self.others_since(0) {
            let at_ms = entry.at.as_millis() as u64;
            if let What::Rpc(rpc) = &entry.what {
                let name = rpc.name.name();
                let stat =
                    stats.entry(name).or_insert_with(|| RpcStats { rpc: name.to_owned(), ..RpcStats::default() });
                let took = rpc.took.as_millis() as u64;
                stat.calls += 1;
                stat.failed += u64::from(!rpc.ok);
                stat.total_ms = stat.total_ms.saturating_add(took);
                stat.max_ms = stat.max_ms.max(took);
            }
            match entry.what {
                What::Rpc(rpc) if overview.rpcs.len() < RPCS => overview.rpcs.push(RpcSpan {
                    seq: entry.seq,
                    rpc: rpc.name.name().to_owned(),
                    at_ms: rpc.started.as_millis() as u64,
                    took_ms: rpc.took.as_millis() as u64,
                    ok: rpc.ok,
                    outcome: cut(&rpc.outcome),
                }),
                What::Rpc(_) => overview.rpcs_omitted += 1,
                What::Subscribed { stream } if overview.streams.len() < STREAMS => {
                    overview.streams.push(StreamSpan { stream, seq: entry.seq, at_ms, ..StreamSpan::default() })
                }
                What::StreamEnded { stream, error } => {
                    if let Some(span) = overview.streams.iter_mut().rev().find(|span| span.stream == stream) {
                        span.ended_seq = Some(entry.seq);
                        span.ended_ms = Some(at_ms);
                        span.error = error.as_deref().map(cut);
                    }
                }
                What::Reopened { stream, ended } if overview.notes.len() < NOTES => overview.notes.push(NoteMark {
                    seq: entry.seq,
                    at_ms,
                    text: cut(&format!(
                        "the event stream ended outside Stop ({ended}); subscribed again as stream {stream}"
                    )),
                }),
                What::Lost { cause } if overview.notes.len() < NOTES => overview.notes.push(NoteMark {
                    seq: entry.seq,
                    at_ms,
                    text: cut(&format!("lost the service at {cause}")),
                }),
                What::Note(text) if overview.notes.len() < NOTES => {
                    overview.notes.push(NoteMark { seq: entry.seq, at_ms, text: cut(&text) })
                }
                _ => {}
            }
        }
        overview.rpc_stats = stats.into_values().collect();
        overview
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Timeline;
    use crate::events::overview::{KINDS, OTHER_TYPES};

    /// A timeline rebuilt from recording lines written at chosen times.
    fn recorded(lines: &[String]) -> Timeline {
        let path = std::env::temp_dir().join(format!("puppet-lint-overview-{}.jsonl", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let timeline = Timeline::from_recording(&path).unwrap();
        let _ = std::fs::remove_file(path);
        timeline
    }

    fn event(seq: usize, at_ms: u64, number: i32, connect: bool) -> String {
        let name = crate::wire::EventKind::from_wire(number).name();
        format!(
            r#"{{"seq":{seq},"at_ms":{at_ms},"kind":"event","stream":1,"event":"{name}","number":{number},"payload":"{{\"data\":\"x\",\"contactId\":\"bot\"}}","connect_heartbeat":{connect}}}"#
        )
    }

    #[test]
    fn silences_are_counted_as_the_heartbeat_rule_counts_them() {
        let timeline = recorded(&[
            r#"{"seq":0,"at_ms":0,"kind":"subscribed","stream":1}"#.into(),
            event(1, 10, 1, true),
            event(2, 500, 25, false),
            r#"{"seq":3,"at_ms":620,"kind":"rpc","rpc":"Ding","took_ms":20,"outcome":"ok"}"#.into(),
            event(4, 4_000, 1, false),
            r#"{"seq":5,"at_ms":4100,"kind":"stream-ended","stream":1,"error":"boom"}"#.into(),
            r#"{"seq":6,"at_ms":4200,"kind":"subscribed","stream":2}"#.into(),
            // A new stream's connect heartbeat starts the silence afresh: the 5 s without a stream are no gap.
            event(7, 9_000, 1, true),
            event(8, 9_100, 99, false),
            r#"{"seq":9,"at_ms":9200,"kind":"rpc","rpc":"Ding","took_ms":30,"outcome":"UNAVAILABLE: gone"}"#.into(),
        ]);
        let overview = timeline.overview(Duration::from_millis(10_000));
        assert_eq!(overview.span_ms, 10_000);
        let longest = overview.longest_gap.expect("a gap");
        assert_eq!((longest.from_ms, longest.gap_ms), (500, 3_500));
        assert_eq!(overview.gaps_ms[overview.bin(4_000)], 3_500);
        assert_eq!(overview.gaps_ms[overview.bin(9_000)], 0, "no gap ends at a connect heartbeat");
        assert_eq!(overview.gaps_ms[overview.bin(9_100)], 100);
        assert_eq!(*overview.gaps_ms.last().unwrap(), 900, "the silence to the end of the span");
        let totals: Vec<_> = overview.events.iter().map(|row| (row.event.as_str(), row.total)).collect();
        assert_eq!(totals, [("heartbeat", 3), ("login", 1), ("type-99", 1)]);
        assert_eq!(overview.events[0].counts.iter().map(|count| u64::from(*count)).sum::<u64>(), 3);
        assert_eq!(overview.states.len(), 1);
        assert_eq!((overview.states[0].event.as_str(), overview.states[0].at_ms), ("login", 500));
        assert_eq!(overview.streams.len(), 2);
        assert_eq!(overview.streams[0].ended_ms, Some(4_100));
        assert_eq!(overview.streams[0].error.as_deref(), Some("boom"));
        assert_eq!(overview.streams[1].ended_ms, None);
        assert_eq!(overview.rpcs.len(), 2);
        assert!(overview.rpcs[0].ok && !overview.rpcs[1].ok);
        let ding = &overview.rpc_stats[0];
        assert_eq!((ding.rpc.as_str(), ding.calls, ding.failed, ding.total_ms, ding.max_ms), ("Ding", 2, 1, 50, 30));
    }

    #[test]
    fn types_past_the_cap_share_a_row_and_a_flood_keeps_the_bins() {
        let mut lines = Vec::new();
        for seq in 0..2_000usize {
            // 40 types: the first 24 seen get rows of their own.
            lines.push(event(seq, seq as u64 * 5, 100 + (seq % 40) as i32, false));
        }
        let overview = recorded(&lines).overview(Duration::ZERO);
        assert_eq!(overview.events.len(), KINDS + 1);
        let other = overview.events.last().unwrap();
        assert_eq!(other.event, OTHER_TYPES);
        assert_eq!(overview.events.iter().map(|row| row.total).sum::<u64>(), 2_000);
        assert_eq!(other.total, 2_000 - 50 * KINDS as u64);
        assert!(overview.events.iter().all(|row| row.counts.len() == overview.gaps_ms.len()));
        assert!(overview.gaps_ms.len() <= crate::events::overview::BINS);
        assert_eq!(overview.span_ms, 9_995, "the span reaches the last entry");
    }
}
