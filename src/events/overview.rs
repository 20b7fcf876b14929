//! The run's timeline in a bounded shape (report.json's `overview`): what a
//! page draws without reading the recording. Events are counted per type in
//! [`BINS`] bins along the run, the silences are the largest per bin, and the
//! few entries that are no events (rpcs, subscriptions, stream ends, notes) and
//! the login-state events are listed up to a cap each, so a run of 200,000
//! events has an overview of the same size as a run of 200.
//!
//! The session builds it from its timeline when a run ends
//! (`session::timeline::overview`); `report/html.rs` draws it. Times are
//! milliseconds since the timeline began (the clock of evidence's `at_ms`).

use serde::{Deserialize, Serialize};

/// How many bins the run is cut into.
pub const BINS: usize = 240;
/// Event types kept apart; events of further types are counted as [`OTHER_TYPES`].
pub const KINDS: usize = 24;
/// The name the events of types past [`KINDS`] are counted under.
pub const OTHER_TYPES: &str = "other types";
/// Rpcs listed (the first ones); the rest are counted in `rpcs_omitted` (and all in `rpc_stats`).
pub const RPCS: usize = 200;
/// Subscriptions listed.
pub const STREAMS: usize = 64;
/// Login-state events listed (`scan`, `login`, `ready`, `logout`, `reset`).
pub const STATES: usize = 256;
/// Notes (a reopened stream, the loss, the recording budget) listed.
pub const NOTES: usize = 64;
/// Longest text kept of an rpc's outcome, a stream's end or a note.
pub const TEXT_LIMIT: usize = 300;
/// The longest time a report or a recording may say (30 days, in ms): a run's timeline holds under 5 days (0.1 ms
/// ticks in a `u32`), so a time past this is no run's, and a report or recording saying one is refused when read.
pub const TIME_LIMIT_MS: u64 = 30 * 24 * 3_600_000;

/// The timeline in bounded form.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Overview {
    /// From the timeline's start to its last entry or the run's end, whichever is later.
    pub span_ms: u64,
    /// Each bin's width: `span_ms` cut into at most [`BINS`] bins, at least 1 ms each.
    pub bin_ms: u64,
    /// Events per type and bin, in wire-number order.
    pub events: Vec<KindBins>,
    /// The longest silence ending in each bin (ms; 0: none): the time since the event before, as the heartbeat rule
    /// counts it — every event but a stream's connect heartbeat, which starts the silence afresh; the silence from
    /// the last event to the end of the span ends in the last bin.
    pub gaps_ms: Vec<u64>,
    /// The longest silence of the run: where it began and how long it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_gap: Option<Gap>,
    /// The rpcs puppet-lint made, the first [`RPCS`].
    pub rpcs: Vec<RpcSpan>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rpcs_omitted: u64,
    /// Every rpc of the run, listed or not, per name: how many, how many failed, their latency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rpc_stats: Vec<RpcStats>,
    /// The event stream's subscriptions and their ends, the first [`STREAMS`].
    pub streams: Vec<StreamSpan>,
    /// The login-state events (`scan`, `login`, `ready`, `logout`, `reset`), the first [`STATES`].
    pub states: Vec<StateMark>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub states_omitted: u64,
    /// Notes on the timeline (a stream reopened, the service lost, the recording budget spent), the first [`NOTES`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<NoteMark>,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// One event type's counts per bin.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KindBins {
    /// The type's name (`heartbeat`, `type-99`, or [`OTHER_TYPES`]).
    pub event: String,
    pub total: u64,
    /// One count per bin.
    pub counts: Vec<u32>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Gap {
    pub from_ms: u64,
    pub gap_ms: u64,
}

/// An rpc: its timeline entry (`seq`, recorded when it was answered), when it was sent and how long it took.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RpcSpan {
    pub seq: usize,
    pub rpc: String,
    pub at_ms: u64,
    pub took_ms: u64,
    pub ok: bool,
    /// `ok` or the error, cut to [`TEXT_LIMIT`] characters.
    pub outcome: String,
}

/// The rpcs of one name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RpcStats {
    pub rpc: String,
    pub calls: u64,
    pub failed: u64,
    /// Their latencies added up (the mean is `total_ms / calls`) and the longest.
    pub total_ms: u64,
    pub max_ms: u64,
}

/// A subscription (`Event` answered as stream `stream`) and its end, if it ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StreamSpan {
    pub stream: u32,
    pub seq: usize,
    pub at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_seq: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<u64>,
    /// How it ended when not cleanly (status OK), cut to [`TEXT_LIMIT`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A login-state event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StateMark {
    pub seq: usize,
    pub at_ms: u64,
    pub event: String,
    /// Replayed to a new subscriber: it tells the state, it is no new happening.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
}

/// A note on the timeline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NoteMark {
    pub seq: usize,
    pub at_ms: u64,
    /// Cut to [`TEXT_LIMIT`] characters.
    pub text: String,
}

impl Overview {
    /// The bin `at_ms` falls in (the last bin for times past the span).
    pub fn bin(&self, at_ms: u64) -> usize {
        let bins = self.gaps_ms.len().max(1);
        ((at_ms / self.bin_ms.max(1)) as usize).min(bins - 1)
    }

    /// An empty overview over `span_ms`, its bins laid out.
    pub fn over(span_ms: u64) -> Overview {
        let bin_ms = span_ms.div_ceil(BINS as u64).max(1);
        let bins = (span_ms.div_ceil(bin_ms) as usize).clamp(1, BINS);
        Overview { span_ms, bin_ms, gaps_ms: vec![0; bins], ..Overview::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_span_and_stay_within_the_cap() {
        for span in [0, 1, 239, 240, 241, 60_000, 3_600_000, u32::MAX as u64] {
            let overview = Overview::over(span);
            assert!(overview.gaps_ms.len() <= BINS && !overview.gaps_ms.is_empty(), "{span}");
            assert!(overview.bin_ms * overview.gaps_ms.len() as u64 >= span, "{span}");
            assert_eq!(overview.bin(span), overview.gaps_ms.len() - 1);
            assert_eq!(overview.bin(u64::MAX), overview.gaps_ms.len() - 1);
        }
    }
}
