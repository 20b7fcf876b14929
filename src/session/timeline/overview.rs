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
