//! What a `report.json` handed in may hold, checked when it is read (`puppet-lint report`, `rejudge`, `matrix`):
//! a report is input, and its numbers and lengths size the work of every renderer (the page draws one tick per
//! axis step and one bar per bin, a list renders per entry). A report puppet-lint wrote stays far inside these
//! bounds; a report past them is refused with the field that is out of bounds, so rendering any report that is
//! read takes time and memory in proportion to bounds, not to what its author wrote.
//!
//! Two passes: [`shape`] walks the JSON text itself before it becomes a [`Report`] (no string longer than
//! [`STRING_LIMIT`], no list or object with more than [`LIST_LIMIT`] entries; serde_json refuses nesting past 128
//! levels), without building a tree of it; [`check`] then reads the typed report's numbers (every time at most
//! [`TIME_LIMIT_MS`], the overview's bins covering its span, its lists within the caps `events::overview` builds
//! them with, the selection patterns short).

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::model::Report;
use crate::events::overview::{BINS, KINDS, NOTES, Overview, RPCS, STATES, STREAMS, TEXT_LIMIT, TIME_LIMIT_MS};

/// Longest string of a report, in bytes (a run's longest is an evidence line: a few KiB).
pub const STRING_LIMIT: usize = 1 << 20;
/// Most entries of any list or object of a report (a run's longest: its checks, a few hundred).
pub const LIST_LIMIT: usize = 10_000;
/// Most selection patterns (`settings.only`, `skip`, `tags`), and the longest one in characters: `rejudge`
/// matches each against every check.
pub const PATTERNS: usize = 256;
pub const PATTERN_LIMIT: usize = 256;
/// Longest text or name of the overview, in characters: a run cuts texts to [`TEXT_LIMIT`] (and notes the cut);
/// its names (`heartbeat`, `type-2147483647`, `MessageSendText`) are shorter. The page shows 100 of them.
pub const OVERVIEW_TEXT_LIMIT: usize = 4 * TEXT_LIMIT;

/// A report past a bound: the field (`overview.bin_ms`, `checks[3].reason`), what it holds, and the bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {found}, {bound}: not a report puppet-lint wrote")]
pub struct OutOfBounds {
    pub field: String,
    pub found: String,
    pub bound: String,
}

/// Checks the JSON text of a report (see the module doc) without keeping it; a text that is no JSON passes
/// (the parse that follows says where it breaks).
pub fn shape(text: &str) -> Result<(), OutOfBounds> {
    let found = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let _ = Walk { path: &Path::Root, found: &found }.deserialize(&mut deserializer);
    found.into_inner().map_or(Ok(()), Err)
}

/// Where a value is: `checks[3].evidence.timeline[0]`.
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("the report"),
            Path::Field(Path::Root, name) => write!(f, "{}", super::one_line(name)),
            Path::Field(parent, name) => write!(f, "{parent}.{}", super::one_line(name)),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

impl Path<'_> {
    /// Schema 1's embedded timeline (`timeline`, top level): the model ignores it, so its length sizes nothing.
    fn ignored(&self) -> bool {
        matches!(self, Path::Field(Path::Root, "timeline"))
    }
}

/// One value of the text, walked.
#[derive(Clone, Copy)]
struct Walk<'p, 'f> {
    path: &'p Path<'p>,
    found: &'f RefCell<Option<OutOfBounds>>,
}

impl Walk<'_, '_> {
    fn refuse<E: de::Error>(&self, found: String, bound: String) -> E {
        *self.found.borrow_mut() = Some(OutOfBounds { field: self.path.to_string(), found, bound });
        E::custom("out of bounds")
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        if text.len() > STRING_LIMIT {
            return Err(self.refuse(
                format!("is a string of {} bytes", text.len()),
                format!("longer than any a report holds ({STRING_LIMIT} bytes)"),
            ));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            if index == LIST_LIMIT && !self.path.ignored() {
                return Err(
                    self.refuse(format!("has more than {LIST_LIMIT} entries"), "more than any list of a report".into())
                );
            }
            let path = Path::Index(self.path, index);
            if seq.next_element_seed(Walk { path: &path, found: self.found })?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut entries = 0;
        while let Some(key) = map.next_key::<String>()? {
            if entries == LIST_LIMIT {
                return Err(self
                    .refuse(format!("has more than {LIST_LIMIT} fields"), "more than any object of a report".into()));
            }
            entries += 1;
            let path = Path::Field(self.path, &key);
            let walk = Walk { path: &path, found: self.found };
            if key.len() > STRING_LIMIT {
                return Err(walk.refuse(format!("is named by {} bytes", key.len()), "a longer name than any".into()));
            }
            map.next_value_seed(walk)?;
        }
        Ok(())
    }
}

/// Checks a report's numbers and lists against what a run writes (see the module doc).
pub fn check(report: &Report) -> Result<(), OutOfBounds> {
    let mut bounds = Bounds::default();
    bounds.time("duration_ms", report.duration_ms);
    bounds.time("settings.heartbeat_window_ms", report.settings.heartbeat_window_ms);
    bounds.time("settings.heartbeat_interval_ms", report.settings.heartbeat_interval_ms);
    if let Some(timeout) = report.settings.timeout_ms {
        bounds.time("settings.timeout_ms", timeout);
    }
    for (name, patterns) in
        [("only", &report.settings.only), ("skip", &report.settings.skip), ("tags", &report.settings.tags)]
    {
        bounds.count(&format!("settings.{name}"), patterns.len(), PATTERNS);
        for (index, pattern) in patterns.iter().enumerate() {
            bounds.chars(&format!("settings.{name}[{index}]"), pattern, PATTERN_LIMIT);
        }
    }
    for (index, check) in report.checks.iter().enumerate() {
        bounds.time(&format!("checks[{index}].started_ms"), check.started_ms);
        bounds.time(&format!("checks[{index}].duration_ms"), check.duration_ms);
        for (at, entry) in check.evidence.iter().flat_map(|evidence| evidence.timeline.iter().enumerate()) {
            bounds.time(&format!("checks[{index}].evidence.timeline[{at}].at_ms"), entry.at_ms);
        }
    }
    if let Some(overview) = &report.overview {
        bounds.overview(overview);
    }
    bounds.first.map_or(Ok(()), Err)
}

/// The first bound broken.
#[derive(Default)]
struct Bounds {
    first: Option<OutOfBounds>,
}

impl Bounds {
    fn refuse(&mut self, field: &str, found: String, bound: String) {
        if self.first.is_none() {
            self.first = Some(OutOfBounds { field: field.to_owned(), found, bound });
        }
    }

    fn time(&mut self, field: &str, ms: u64) {
        if ms > TIME_LIMIT_MS {
            self.refuse(
                field,
                format!("is {ms} ms"),
                format!("longer than any run's timeline ({TIME_LIMIT_MS} ms, 30 days)"),
            );
        }
    }

    fn count(&mut self, field: &str, count: usize, cap: usize) {
        if count > cap {
            self.refuse(field, format!("has {count} entries"), format!("more than the {cap} a run writes at most"));
        }
    }

    fn chars(&mut self, field: &str, text: &str, limit: usize) {
        let count = text.chars().count();
        if count > limit {
            self.refuse(field, format!("is {count} characters long"), format!("longer than the {limit} a run writes"));
        }
    }

    fn overview(&mut self, overview: &Overview) {
        self.time("overview.span_ms", overview.span_ms);
        if overview.bin_ms == 0 || overview.bin_ms.saturating_mul(BINS as u64) < overview.span_ms {
            self.refuse(
                "overview.bin_ms",
                format!("is {} for a span (overview.span_ms) of {} ms", overview.bin_ms, overview.span_ms),
                format!(
                    "but {BINS} bins (the most a run cuts its span into) of it do not cover the span: a run's bins \
                     are at least span/{BINS} wide, and 1 ms"
                ),
            );
        }
        self.time("overview.bin_ms", overview.bin_ms);
        self.count("overview.gaps_ms", overview.gaps_ms.len(), BINS);
        for (bin, gap) in overview.gaps_ms.iter().enumerate() {
            self.time(&format!("overview.gaps_ms[{bin}]"), *gap);
        }
        if let Some(gap) = &overview.longest_gap {
            self.time("overview.longest_gap.from_ms", gap.from_ms);
            self.time("overview.longest_gap.gap_ms", gap.gap_ms);
        }
        self.count("overview.events", overview.events.len(), KINDS + 1);
        for (index, row) in overview.events.iter().enumerate() {
            self.chars(&format!("overview.events[{index}].event"), &row.event, OVERVIEW_TEXT_LIMIT);
            self.count(&format!("overview.events[{index}].counts"), row.counts.len(), BINS);
        }
        self.count("overview.rpcs", overview.rpcs.len(), RPCS);
        for (index, rpc) in overview.rpcs.iter().enumerate() {
            self.time(&format!("overview.rpcs[{index}].at_ms"), rpc.at_ms);
            self.time(&format!("overview.rpcs[{index}].took_ms"), rpc.took_ms);
            self.chars(&format!("overview.rpcs[{index}].rpc"), &rpc.rpc, OVERVIEW_TEXT_LIMIT);
            self.chars(&format!("overview.rpcs[{index}].outcome"), &rpc.outcome, OVERVIEW_TEXT_LIMIT);
        }
        self.count("overview.rpc_stats", overview.rpc_stats.len(), RPCS);
        for (index, stat) in overview.rpc_stats.iter().enumerate() {
            self.chars(&format!("overview.rpc_stats[{index}].rpc"), &stat.rpc, OVERVIEW_TEXT_LIMIT);
        }
        self.count("overview.streams", overview.streams.len(), STREAMS);
        for (index, stream) in overview.streams.iter().enumerate() {
            self.time(&format!("overview.streams[{index}].at_ms"), stream.at_ms);
            self.time(&format!("overview.streams[{index}].ended_ms"), stream.ended_ms.unwrap_or(0));
            self.chars(
                &format!("overview.streams[{index}].error"),
                stream.error.as_deref().unwrap_or(""),
                OVERVIEW_TEXT_LIMIT,
            );
        }
        self.count("overview.states", overview.states.len(), STATES);
        for (index, state) in overview.states.iter().enumerate() {
            self.time(&format!("overview.states[{index}].at_ms"), state.at_ms);
            self.chars(&format!("overview.states[{index}].event"), &state.event, OVERVIEW_TEXT_LIMIT);
        }
        self.count("overview.notes", overview.notes.len(), NOTES);
        for (index, note) in overview.notes.iter().enumerate() {
            self.time(&format!("overview.notes[{index}].at_ms"), note.at_ms);
            self.chars(&format!("overview.notes[{index}].text"), &note.text, OVERVIEW_TEXT_LIMIT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_pass_names_the_field_past_a_bound() {
        let long = format!(r#"{{"checks":[{{"id":"a"}},{{"reason":"{}"}}]}}"#, "x".repeat(STRING_LIMIT + 1));
        let error = shape(&long).unwrap_err();
        assert_eq!(error.field, "checks[1].reason");
        let list = format!(r#"{{"overview":{{"gaps_ms":[{}0]}}}}"#, "0,".repeat(LIST_LIMIT));
        assert_eq!(shape(&list).unwrap_err().field, "overview.gaps_ms");
        let old = format!(r#"{{"timeline":[{}0]}}"#, "0,".repeat(LIST_LIMIT));
        assert_eq!(shape(&old), Ok(()), "schema 1's embedded timeline is ignored when read");
        assert_eq!(shape("{not json"), Ok(()), "left to the parse");
    }

    #[test]
    fn an_overview_a_run_builds_is_within_bounds() {
        for span in [0, 1, 239, 241, 60_000, TIME_LIMIT_MS] {
            let mut bounds = Bounds::default();
            bounds.overview(&Overview::over(span));
            assert_eq!(bounds.first, None, "{span}");
        }
        let mut bounds = Bounds::default();
        bounds.overview(&Overview { bin_ms: 1, ..Overview::over(1_000_000) });
        assert_eq!(bounds.first.unwrap().field, "overview.bin_ms");
    }
}
