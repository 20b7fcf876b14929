//! Watching the timeline: `wait` (nothing, for a while), `wait_for` (an
//! event, maybe matching payload fields), `expect_count` / `expect_none`
//! (how many such events in a range), and `assert` (two values compare).
//! Also the timeline helpers the other families share.

use serde_json::Value;
use std::collections::BTreeMap;

use super::{Captured, CheckRun, Failure, Mark, Stepped, seconds, shown, skip_instead};
use crate::clock::human;
use crate::session::{Entry, EventRecord, Moment, SCAN_LIMIT, Timeline, What};
use crate::suite::{Comparison, DurationExpr, Template, Until, VarRef, WatchAction};
use crate::wire::EventKind;

impl CheckRun {
    pub(super) async fn watch_step(&mut self, action: &WatchAction) -> Result<Stepped, Failure> {
        match action {
            WatchAction::Wait { duration } => {
                let duration = self.duration(duration)?;
                tokio::time::sleep_until(self.cap(duration)).await;
                Ok(Stepped::nothing())
            }
            WatchAction::WaitFor { events, matching, after, within, or_skip } => {
                // Boxed, as the other families' waits are: a check's step holds only the wait it runs.
                let (values, at) = Box::pin(self.wait_for(events, matching, after.as_deref(), within.as_ref()))
                    .await
                    .map_err(|failure| skip_instead(failure, or_skip.as_deref()))?;
                Ok(Stepped { captured: Some(values), moment: Some(at) })
            }
            WatchAction::ExpectCount { events, matching, after, until, at_least, at_most } => {
                Box::pin(self.expect_count(events, matching, after.as_deref(), until, (*at_least, *at_most))).await?;
                Ok(Stepped::nothing())
            }
            WatchAction::Assert { that, comparison, message } => {
                self.assert(that, comparison, message.as_deref())?;
                Ok(Stepped::nothing())
            }
        }
    }

    async fn wait_for(
        &self,
        events: &[EventKind],
        matching: &[(String, Template)],
        after: Option<&str>,
        within: Option<&DurationExpr>,
    ) -> Result<(Captured, Mark), Failure> {
        let wanted = self.render_matching(matching)?;
        let after = self.mark(after);
        let from = after.map_or(0, |mark| mark.after);
        let (deadline, waited) = self.within(within)?;
        let timeline = &self.context.timeline;
        let found = timeline
            .wait_for(from, deadline, of_kinds(events), |entry| {
                event_of(entry).is_some_and(|event| events.contains(&event.kind) && fits(event, &wanted))
            })
            .await;
        if let Some(entry) = found {
            timeline.mark_consumed(entry.at);
            let Some(event) = event_of(&entry) else { unreachable!("matched an event") };
            let mut captured = payload_fields(event);
            captured.insert("type".into(), event.kind.name());
            return Ok((captured, Mark::event(&entry)));
        }
        let what = describe_kinds(events, &wanted);
        let since = after.map_or_else(|| "the start".to_owned(), |mark| format!("+{}", seconds(mark.at)));
        let expected = format!("{what} after {since}, within {}", human(waited));
        if let Some(ended) = stream_end(&timeline.others_since(from)) {
            return Err(Failure::error(format!("the event stream ended while waiting for {what}: {ended}")));
        }
        let mut same_kind = 0usize;
        timeline.visit_moments(from, |moment| same_kind += usize::from(of_kinds(events)(moment)));
        let observed = if same_kind > 0 && !wanted.is_empty() {
            let first = timeline.scan(from, of_kinds(events), 3).entries;
            let seen: Vec<String> = first.iter().filter_map(event_of).map(|event| shown(&event.raw, 120)).collect();
            format!("{same_kind} such event(s) arrived, none matching: {}", seen.join("; "))
        } else {
            format!("none arrived; events seen since {since}: {}", count_kinds(timeline, from))
        };
        Err(Failure::fail(format!("no {what} within {}", human(waited)), expected, observed)
            .at(after.map_or(self.started, |mark| mark.at)))
    }

    /// Counts matching events in a range; `for` watches ahead and fails as
    /// soon as there are too many.
    async fn expect_count(
        &self,
        events: &[EventKind],
        matching: &[(String, Template)],
        after: Option<&str>,
        until: &Until,
        (at_least, at_most): (u32, Option<u32>),
    ) -> Result<(), Failure> {
        let wanted = self.render_matching(matching)?;
        let after_mark = self.mark(after);
        let from = after_mark.map_or(0, |mark| mark.after);
        let timeline = &self.context.timeline;
        // A replay to a new subscriber tells the state; it is not the
        // provider emitting the event again.
        let matches = |entry: &Entry| {
            event_of(entry).is_some_and(|event| !event.replay && events.contains(&event.kind) && fits(event, &wanted))
        };
        let what = describe_kinds(events, &wanted);
        let since = after_mark.map_or_else(String::new, |mark| format!(" after +{}", seconds(mark.at)));
        let limit = at_most.map_or(usize::MAX, |most| most as usize);
        let range = match until {
            Until::Now => format!("{since} so far"),
            Until::Mark(name) => {
                let end_at = self.mark(Some(name)).map_or_else(String::new, |mark| format!(" (+{})", seconds(mark.at)));
                format!("{since} before `{name}`{end_at}")
            }
            Until::For(duration) => format!(" within {}{since}", human(self.duration(duration)?)),
        };
        if let Until::For(duration) = until {
            let duration = self.duration(duration)?;
            let deadline = self.cap(duration);
            self.progress(format!("watching {} for {what}", human(duration)), None);
            // Stop watching as soon as one too many has arrived.
            let mut seen = 0usize;
            timeline
                .wait_for(from, deadline, of_kinds(events), |entry| {
                    matches(entry) && {
                        seen += 1;
                        seen > limit
                    }
                })
                .await;
        }
        let end = match until {
            Until::Mark(name) => self.mark(Some(name.as_str())).map_or(usize::MAX, |mark| mark.start),
            _ => usize::MAX,
        };
        // Counted in bounded steps; only what the failure shows is kept.
        let mut found: Vec<Entry> = Vec::new();
        let mut extra: Option<Entry> = None;
        let mut total = 0usize;
        let mut next = from;
        let stop = end.min(timeline.len());
        while next < stop {
            let scan = timeline.scan(next, of_kinds(events), SCAN_LIMIT);
            for entry in scan.entries.into_iter().filter(|entry| entry.seq < end && matches(entry)) {
                if total == limit {
                    extra = Some(entry.clone());
                }
                total += 1;
                if found.len() < 4 {
                    found.push(entry);
                }
            }
            next = scan.next;
        }
        let expected = match (at_least, at_most) {
            (0, Some(0)) => format!("no {what}{range}"),
            (least, Some(most)) if least == most => format!("exactly {least} {what}{range}"),
            (0, Some(most)) => format!("at most {most} {what}{range}"),
            (least, None) => format!("at least {least} {what}{range}"),
            (least, Some(most)) => format!("{least} to {most} {what}{range}"),
        };
        let listed: Vec<String> = found
            .iter()
            .take(4)
            .map(|entry| {
                let payload = event_of(entry).map_or_else(String::new, |event| shown(&event.raw, 100));
                format!("+{} {payload}", seconds(entry.at))
            })
            .collect();
        if let Some(extra) = extra {
            let summary = if limit == 0 {
                format!("{what} at +{}{range}", seconds(extra.at))
            } else {
                format!("{total} {what}s{range}, more than {limit}")
            };
            return Err(Failure::fail(summary, expected, listed.join("; ")).at(extra.at));
        }
        if total < at_least as usize {
            let observed = if found.is_empty() { "none".to_owned() } else { listed.join("; ") };
            return Err(Failure::fail(format!("only {total} {what}{range}"), expected, observed));
        }
        Ok(())
    }

    fn assert(&self, that: &Template, comparison: &Comparison, message: Option<&str>) -> Result<(), Failure> {
        // A field the captured answer lacks (a file box without a name) is
        // what was observed, not a broken suite: the assertion fails on it.
        let absent = that.references().find(|reference| {
            reference.field.as_ref().is_some_and(|field| {
                self.scope.get(&reference.name).is_some_and(|captured| !captured.contains_key(field))
            })
        });
        if let Some(reference) = absent {
            let (relation, expected) = match comparison {
                Comparison::Equals(expected) => ("equals", expected),
                Comparison::Contains(expected) => ("contains", expected),
                Comparison::AtMost(expected) => ("is at most", expected),
                Comparison::ByteForByte(expected) => ("is byte for byte", expected),
            };
            let expected = quantity(reference, &self.render(expected)?);
            let name = &reference.name;
            let field = reference.field.as_deref().unwrap_or_default();
            let shown = reference.plain();
            return Err(Failure::fail(
                message.map_or_else(|| format!("{shown} has no value"), str::to_owned),
                format!("{shown} {relation} {expected}"),
                format!("{shown} has no value: what `{name}` captured has no `{field}`"),
            ));
        }
        let actual = self.render(that)?;
        if let Comparison::ByteForByte(expected) = comparison {
            let expected = self.render(expected)?;
            let Some(difference) = first_difference(&expected, &actual) else { return Ok(()) };
            let shown = match that.references().next() {
                Some(reference) if that.is_one_reference() => reference.plain(),
                _ => format!("\"{that}\""),
            };
            let observed = format!("{shown} differs from what was sent: {difference}");
            return Err(Failure::fail(
                message.map_or_else(|| observed.clone(), |message| format!("{message}: {difference}")),
                format!("{shown} is byte for byte {}", escaped(&expected, 120)),
                observed,
            ));
        }
        let (holds, relation, expected) = match comparison {
            Comparison::Equals(expected) => {
                let expected = self.render(expected)?;
                (actual == expected, "equals", expected)
            }
            Comparison::Contains(expected) => {
                let expected = self.render(expected)?;
                (actual.contains(&expected), "contains", expected)
            }
            Comparison::AtMost(expected) => {
                let expected = self.render(expected)?;
                let number = |text: &str| text.trim().parse::<f64>().ok();
                let holds = matches!((number(&actual), number(&expected)), (Some(a), Some(b)) if a <= b);
                (holds, "is at most", expected)
            }
            Comparison::ByteForByte(_) => unreachable!("compared above"),
        };
        if holds {
            return Ok(());
        }
        // The value as a person reads it: the reference without `${}`, and a
        // number with its unit (`again.slot_ms is 3007 ms (3.0s)`).
        let (shown, actual, expected) = match that.references().next() {
            Some(reference) if that.is_one_reference() => {
                (reference.plain(), quantity(reference, &actual), quantity(reference, &expected))
            }
            _ => (format!("\"{that}\""), format!("\"{actual}\""), format!("\"{expected}\"")),
        };
        let observed = format!("{shown} is {actual}");
        Err(Failure::fail(
            message.map_or_else(|| observed.clone(), str::to_owned),
            format!("{shown} {relation} {expected}"),
            observed,
        ))
    }

    fn render_matching(&self, matching: &[(String, Template)]) -> Result<Vec<(String, String)>, Failure> {
        matching.iter().map(|(field, value)| Ok((field.clone(), self.render(value)?))).collect()
    }
}

/// Where `received` first differs from `sent`, for a person: the character and byte offsets, a few characters of
/// each from there as escapes (`\u{301}`, `\n`), both lengths, and what the difference looks like when it is a
/// known loss (trimmed, cut short, replaced by U+FFFD, composed). `None` when they are equal byte for byte.
pub(super) fn first_difference(sent: &str, received: &str) -> Option<String> {
    if sent == received {
        return None;
    }
    let (mut at_char, mut at_byte) = (0usize, 0usize);
    for (a, b) in sent.chars().zip(received.chars()) {
        if a != b {
            break;
        }
        at_char += 1;
        at_byte += a.len_utf8();
    }
    let from = |text: &str| {
        let rest = &text[at_byte.min(text.len())..];
        if rest.is_empty() { "(the end)".to_owned() } else { escaped(rest, 8) }
    };
    let length = |text: &str| format!("{} characters ({} bytes)", text.chars().count(), text.len());
    let mut seen = format!(
        "first difference at character {at_char} (byte {at_byte}): sent {}, received {}; sent {}, received {}",
        from(sent),
        from(received),
        length(sent),
        length(received)
    );
    let looks = if sent.trim_end() == received || sent.trim() == received {
        Some("whitespace at the end was trimmed")
    } else if sent.starts_with(received) {
        Some("it was cut short")
    } else if received.contains('\u{fffd}') && !sent.contains('\u{fffd}') {
        Some("characters were replaced by U+FFFD (a lost encoding: astral-plane characters as lone surrogates?)")
    } else if sent.chars().any(|c| ('\u{300}'..='\u{36f}').contains(&c))
        && received.chars().count() < sent.chars().count()
    {
        Some("fewer characters where combining marks were: the text was normalised (NFC), not kept as sent")
    } else {
        None
    };
    if let Some(looks) = looks {
        seen.push_str(&format!(" ({looks})"));
    }
    Some(seen)
}

/// The first `most` characters of `text`, quoted, with every character outside printable ASCII as an escape
/// (`\n`, `\u{301}`, `\u{1d54f}`), then `…` when there is more.
fn escaped(text: &str, most: usize) -> String {
    let mut shown = String::from("\"");
    for c in text.chars().take(most) {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            '"' => shown.push_str("\\\""),
            '\\' => shown.push_str("\\\\"),
            ' '..='~' => shown.push(c),
            _ => shown.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    shown.push('"');
    if text.chars().count() > most {
        shown.push('…');
    }
    shown
}

/// A value as a person reads it: a number in a field named for its unit
/// (`slot_ms`, `size_bytes`) with that unit, and the milliseconds also in
/// seconds or minutes from one second on; anything else quoted.
fn quantity(reference: &VarRef, value: &str) -> String {
    let field = reference.field.as_deref().unwrap_or(&reference.name);
    let number = value.trim();
    match number.parse::<f64>() {
        Ok(millis) if field.ends_with("_ms") => {
            if millis.is_finite() && millis >= 1000.0 {
                let human = human(std::time::Duration::from_secs_f64(millis / 1000.0));
                format!("{number} ms ({human})")
            } else {
                format!("{number} ms")
            }
        }
        Ok(_) if field.ends_with("_bytes") => format!("{number} bytes"),
        _ => format!("\"{value}\""),
    }
}

pub(super) fn event_of(entry: &Entry) -> Option<&EventRecord> {
    match &entry.what {
        What::Event(event) => Some(event),
        _ => None,
    }
}

fn fits(event: &EventRecord, wanted: &[(String, String)]) -> bool {
    wanted.iter().all(|(field, value)| payload_value(event, field).as_deref() == Some(value.as_str()))
}

fn payload_value(event: &EventRecord, field: &str) -> Option<String> {
    match event.payload.as_ref()?.get(field)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn payload_fields(event: &EventRecord) -> Captured {
    let Some(Value::Object(object)) = &event.payload else {
        return BTreeMap::new();
    };
    object.keys().filter_map(|key| Some((key.clone(), payload_value(event, key)?))).collect()
}

fn describe_kinds(events: &[EventKind], wanted: &[(String, String)]) -> String {
    let names: Vec<String> = events.iter().map(|kind| format!("`{kind}`")).collect();
    let mut text = format!("{} event", names.join(" or "));
    if !wanted.is_empty() {
        let conditions: Vec<String> = wanted.iter().map(|(field, value)| format!("{field} = \"{value}\"")).collect();
        text.push_str(&format!(" with {}", conditions.join(" and ")));
    }
    text
}

/// An index filter: events of these types only.
pub(super) fn of_kinds(events: &[EventKind]) -> impl FnMut(&Moment) -> bool + '_ {
    |moment| moment.kind.is_some_and(|kind| events.contains(&kind))
}

/// `heartbeat ×3, message ×2` since `from`, in order of first appearance.
pub(super) fn count_kinds(timeline: &Timeline, from: usize) -> String {
    let mut counts: Vec<(EventKind, usize)> = Vec::new();
    timeline.visit_moments(from, |moment| {
        if let Some(kind) = moment.kind {
            match counts.iter_mut().find(|(known, _)| *known == kind) {
                Some((_, count)) => *count += 1,
                None => counts.push((kind, 1)),
            }
        }
    });
    let counts: Vec<(String, usize)> = counts.into_iter().map(|(kind, count)| (kind.name(), count)).collect();
    if counts.is_empty() {
        return "none".into();
    }
    counts.iter().map(|(name, count)| format!("{name} ×{count}")).collect::<Vec<_>>().join(", ")
}

/// An unexpected end of the event stream, if one happened (and no new
/// subscription followed it).
pub(in crate::engine) fn stream_end(entries: &[Entry]) -> Option<String> {
    let last_end = entries.iter().rposition(|entry| matches!(entry.what, What::StreamEnded { .. }))?;
    if entries[last_end..].iter().any(|entry| matches!(entry.what, What::Subscribed { .. })) {
        return None;
    }
    // The end of a stream a newer one replaced (`Stop` ends the old stream;
    // its end may be read after the new subscription) is no loss.
    let newest = entries.iter().filter_map(|entry| match entry.what {
        What::Subscribed { stream } => Some(stream),
        _ => None,
    });
    if let (What::StreamEnded { stream: ended, .. }, Some(newest)) = (&entries[last_end].what, newest.max())
        && *ended < newest
    {
        return None;
    }
    match &entries[last_end].what {
        What::StreamEnded { error: Some(error), .. } => Some(error.clone()),
        What::StreamEnded { error: None, .. } => Some("the server closed it".into()),
        _ => None,
    }
}

#[cfg(test)]
mod fidelity_tests {
    use super::first_difference;

    #[test]
    fn equal_texts_have_no_difference() {
        for text in ["", "plain", "中文 𝕏 e\u{301}\n", "trailing\n"] {
            assert_eq!(first_difference(text, text), None);
        }
    }

    #[test]
    fn a_trimmed_newline_is_told_where_and_how() {
        let told = first_difference("puppet-lint 1 line\n", "puppet-lint 1 line").unwrap();
        assert_eq!(
            told,
            "first difference at character 18 (byte 18): sent \"\\n\", received (the end); sent 19 characters \
             (19 bytes), received 18 characters (18 bytes) (whitespace at the end was trimmed)"
        );
    }

    #[test]
    fn astral_characters_replaced_by_u_fffd_are_told() {
        let told = first_difference("x 𝕏 😀 y", "x \u{fffd}\u{fffd} \u{fffd}\u{fffd} y").unwrap();
        assert!(
            told.starts_with("first difference at character 2 (byte 2): sent \"\\u{1d54f} \\u{1f600} y\""),
            "{told}"
        );
        assert!(told.contains("received \"\\u{fffd}\\u{fffd} \\u{fffd}"), "{told}");
        assert!(told.contains("sent 7 characters (13 bytes), received 9 characters (17 bytes)"), "{told}");
        assert!(told.contains("U+FFFD"), "{told}");
    }

    #[test]
    fn composed_combining_marks_are_told() {
        let told = first_difference("cafe\u{301} ok", "caf\u{e9} ok").unwrap();
        assert!(
            told.starts_with(
                "first difference at character 3 (byte 3): sent \"e\\u{301} ok\", received \"\\u{e9} ok\""
            ),
            "{told}"
        );
        assert!(told.contains("normalised (NFC)"), "{told}");
    }

    #[test]
    fn a_long_text_cut_short_is_told_with_both_lengths() {
        let sent = "长文本 long text ".repeat(200);
        let cut: String = sent.chars().take(1000).collect();
        let told = first_difference(&sent, &cut).unwrap();
        assert!(told.contains("at character 1000"), "{told}");
        assert!(told.contains("received (the end)") && told.contains("cut short"), "{told}");
        let lengths =
            format!("sent {} characters ({} bytes), received 1000 characters", sent.chars().count(), sent.len());
        assert!(told.contains(&lengths), "{told}");
    }

    #[test]
    fn a_replaced_cjk_character_in_a_name_is_told() {
        let told = first_difference("puppet-lint 报告 v2.pdf", "puppet-lint__ v2.pdf").unwrap();
        assert!(
            told.starts_with("first difference at character 11 (byte 11): sent \" \\u{62a5}\\u{544a} v2.p\"…"),
            "{told}"
        );
    }
}
