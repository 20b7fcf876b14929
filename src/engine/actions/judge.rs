//! Judging the whole run's recording: `judge_states` (every event against the
//! puppet's login states, [`crate::engine::field::states`]) and
//! `judge_shapes` (every payload against its event type's JSON Schema,
//! [`crate::engine::field::shapes`]). A check made of these runs after every
//! other check, so it sees the whole run; the recording is read in batches,
//! so memory stays bounded whatever the event count.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{CheckRun, Failure, Stepped};
use crate::engine::field::facts::Facts;
use crate::engine::field::shapes;
use crate::engine::field::states::{self, Item};
use crate::session::{Entry, Timeline, What};
use crate::suite::{FactRule, JudgeAction, Severity, StateRule};
use crate::wire::{EventKind, Rpc};

/// How many entries are read back from the recording at a time.
const BATCH: usize = 4096;
/// How many findings a failure lists (the count says how many in all).
const LISTED: usize = 8;
/// Payloads of one event type checked in full; past this, one in
/// [`SAMPLE_EVERY`] (a flood of one type says nothing new per event).
const FULL_PER_TYPE: u64 = 20_000;
const SAMPLE_EVERY: u64 = 50;

impl CheckRun {
    /// The timeline's entries a judge of the whole run reads: those before the millisecond the check began — the
    /// start its report records, so that re-judged (from the recorded start) it reads the very same events, not what
    /// came after the live judge (a scan after a destructive check's logout, still arriving while it judged).
    fn judged_until(&self) -> usize {
        let began = match self.context.recorded_spans().and_then(|spans| spans.get(&self.check.id)) {
            Some((from, _)) => *from,
            None => Duration::from_millis(self.started.as_millis() as u64),
        };
        self.context.timeline.len_before(began)
    }

    pub(super) fn judge_step(&mut self, action: &JudgeAction) -> Result<Stepped, Failure> {
        match action {
            JudgeAction::JudgeStates { rules } => self.judge_states(rules)?,
            JudgeAction::JudgeShapes { level } => self.judge_shapes(*level)?,
            JudgeAction::JudgeFacts { rules } => self.judge_facts(rules)?,
        }
        Ok(Stepped::nothing())
    }

    fn judge_states(&mut self, rules: &[StateRule]) -> Result<(), Failure> {
        let timeline = &self.context.timeline;
        // Live or re-judged, the timeline's instants are whole milliseconds (`Timeline`), judged alike.
        let items = state_items(timeline, true, self.judged_until());
        let judged = states::judge(&items);
        let findings: Vec<&states::StateFinding> =
            judged.findings.iter().filter(|finding| rules.contains(&finding.rule)).collect();
        let how = match judged.attached {
            Some(true) => "puppet-lint attached to a session already running (its login was replayed on subscribe)",
            Some(false) => "puppet-lint started the session (a scan or its own Start came before the login)",
            None => "whether puppet-lint started the session or attached to it cannot be told",
        };
        let replays = if judged.replays.is_empty() {
            String::new()
        } else {
            format!("; replays to a new subscriber at seq {}", list(&judged.replays))
        };
        let lost = if judged.lost_ends.is_empty() || !rules.contains(&StateRule::StreamEndedOutsideStop) {
            String::new()
        } else {
            format!(
                "; the stream's end at seq {} came with the loss of the service (reported once, as the loss)",
                list(&judged.lost_ends)
            )
        };
        let trimmed = timeline.trimmed().map_or_else(String::new, |trim| {
            let cut = trim.trimmed + trim.unrecorded;
            format!("; {cut} event(s) the recording budget trimmed are judged by their type and time only")
        });
        if findings.is_empty() {
            let events: u64 = timeline.counts().values().sum();
            self.note = Some(format!("{events} event(s) judged; {how}{replays}{lost}{trimmed}"));
            return Ok(());
        }
        let listed: Vec<String> = findings.iter().take(LISTED).map(|finding| finding.message.clone()).collect();
        let more = findings.len().saturating_sub(LISTED);
        let summary = if findings.len() == 1 {
            listed[0].clone()
        } else {
            format!("{} events break the login states: {}", findings.len(), listed[0])
        };
        let mut observed = listed.join("; ");
        if more > 0 {
            observed.push_str(&format!("; and {more} more"));
        }
        let first = findings[0].seq;
        let focus = timeline.moment(first).map(|moment| moment.at);
        let failure = Failure::fail(
            summary,
            format!(
                "every event in a login state that allows it ({})",
                rules.iter().map(|rule| rule.id()).collect::<Vec<_>>().join(", ")
            ),
            format!("{observed} ({how}{trimmed})"),
        );
        Err(match focus {
            Some(at) => failure.at(at),
            None => failure,
        })
    }

    fn judge_shapes(&mut self, level: Severity) -> Result<(), Failure> {
        let wanted = level;
        let timeline = &self.context.timeline;
        let mut seen: BTreeMap<i32, u64> = BTreeMap::new();
        let (mut judged, mut sampled) = (0u64, false);
        let mut problems: Vec<(usize, std::time::Duration, String)> = Vec::new();
        let mut count = 0usize;
        // Payloads the recording budget trimmed: neither passed nor failed, told.
        let (mut unjudged, mut first_unjudged) = (0u64, None);
        for_each_entry(timeline, self.judged_until(), |entry| {
            let What::Event(event) = &entry.what else { return };
            let number = event.kind.wire();
            let so_far = seen.entry(number).or_default();
            *so_far += 1;
            if !event.kept.is_whole() {
                unjudged += 1;
                first_unjudged.get_or_insert(entry.seq);
                return;
            }
            if *so_far > FULL_PER_TYPE && !(*so_far).is_multiple_of(SAMPLE_EVERY) {
                sampled = true;
                return;
            }
            judged += 1;
            // The timeline's parse: a long payload's raw text is shown cut, its parse is whole.
            let found = match &event.payload {
                Some(payload) => shapes::check_parsed(number, Ok(payload)),
                None => shapes::check(number, &event.raw),
            };
            for problem in found.into_iter().filter(|problem| problem.level == wanted) {
                count += 1;
                if problems.len() < LISTED {
                    problems.push((entry.seq, entry.at, format!("seq {}: {}", entry.seq, problem.message)));
                }
            }
        });
        let total: u64 = seen.values().sum();
        let mut judged_text = if sampled {
            format!("{judged} of {total} payloads judged (past {FULL_PER_TYPE} of a type, one in {SAMPLE_EVERY})")
        } else {
            format!("{judged} payload(s) judged")
        };
        if let Some(first) = first_unjudged {
            judged_text.push_str(&format!(
                "; {unjudged} not judged: the recording budget trimmed them, from entry {first} (a payload's head \
                 cannot be checked)"
            ));
        }
        let Some((_, at, first)) = problems.first().cloned() else {
            self.note = Some(judged_text);
            return Ok(());
        };
        let listed: Vec<String> = problems.iter().map(|(_, _, text)| text.clone()).collect();
        let mut observed = listed.join("; ");
        if count > LISTED {
            observed.push_str(&format!("; and {} more", count - LISTED));
        }
        let summary = if count == 1 { first } else { format!("{count} payload problems ({judged_text}): {first}") };
        Err(Failure::fail(
            summary,
            format!("every payload has its type's shape (schemas/events/*.schema.json, {} rules)", wanted.as_str()),
            observed,
        )
        .at(at))
    }
}

impl CheckRun {
    fn judge_facts(&mut self, rules: &[FactRule]) -> Result<(), Failure> {
        let context = self.context.clone();
        let timeline = &context.timeline;
        let mut shared = context.facts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (facts, next) = shared.get_or_insert_with(|| (Facts::new(FactRule::ALL, self.context.started), 0));
        // What came since the last fact check read the timeline (the judge holds every rule), up to the
        // millisecond the check began — the start its report records, so that re-judged (from the recorded start)
        // it reads the very same events.
        let end = self.judged_until().max(*next);
        while *next < end {
            let to = (*next + BATCH).min(end);
            for entry in timeline.range(*next, to) {
                let What::Event(event) = &entry.what else { continue };
                facts.event(
                    entry.seq,
                    entry.at,
                    event.kind,
                    &event.raw,
                    event.identity().as_ref(),
                    event.payload.as_ref(),
                    event.kept.is_whole(),
                    event.connect_heartbeat || event.replay,
                );
            }
            *next = to;
        }
        let facts = &*facts;
        let mut judged = format!("{} event(s) judged", facts.judged);
        if facts.unjudged > 0 {
            judged.push_str(&format!("; {} not judged: the recording budget trimmed their payloads", facts.unjudged));
        }
        let findings: Vec<_> = facts.findings().iter().filter(|finding| rules.contains(&finding.rule)).collect();
        let count: usize = rules.iter().map(|rule| facts.count(*rule)).sum();
        let Some(first) = findings.first().copied() else {
            self.note = Some(judged);
            return Ok(());
        };
        let listed: Vec<&str> = findings.iter().take(LISTED).map(|finding| finding.message.as_str()).collect();
        let mut observed = listed.join("; ");
        if count > LISTED {
            observed.push_str(&format!("; and {} more", count - LISTED));
        }
        let summary = if count == 1 {
            first.message.clone()
        } else {
            format!("{count} payloads say what is not true ({judged}): {}", first.message)
        };
        Err(Failure::fail(
            summary,
            format!(
                "what every payload says is true ({})",
                rules.iter().map(|rule| rule.id()).collect::<Vec<_>>().join(", ")
            ),
            observed,
        )
        .at(first.at))
    }
}

/// Every entry of the recording, read back a batch at a time.
/// How late a recording's whole milliseconds can place a rebuilt rpc start.
const ROUNDING: Duration = Duration::from_millis(1);

/// Visits the timeline's entries before `end` (an index), a batch at a time.
fn for_each_entry(timeline: &Timeline, end: usize, mut visit: impl FnMut(&Entry)) {
    let end = end.min(timeline.len());
    let mut from = 0;
    while from < end {
        let to = (from + BATCH).min(end);
        for entry in timeline.range(from, to) {
            visit(&entry);
        }
        from = to;
    }
}

/// The run as the state machine reads it. Runs of events of one type that
/// neither move the state nor carry what it reads (a flood of messages)
/// are kept as their first event, so memory stays bounded.
///
/// `rounded`: the timeline's instants are whole milliseconds (every timeline's are: a live one takes each entry's
/// next whole millisecond, as its recording keeps them), so a `Stop`'s request can land up to [`ROUNDING`] after
/// the stream end it caused (an older recording: reply − took, each rounded down), or in its millisecond; such an
/// end is placed at the request. `false` only shows, in tests, what the placing is for.
/// `end`: the index the judge reads up to (see [`CheckRun::judged_until`]).
fn state_items(timeline: &Timeline, rounded: bool, end: usize) -> Vec<Item> {
    // Each item with when it took effect: an rpc's reply is recorded when it
    // comes, but a `Start` or a `Ding` takes effect from its request (the
    // first live events, the `dong`, can overtake its reply).
    let mut items: Vec<(Duration, Item)> = Vec::new();
    // The timeline's order is the truth for what is placed at its entry (older timelines kept an event's instant
    // rounded up and a stream end's exactly, so an end read just after an event could carry an earlier instant
    // than the event). Instants are taken in order, never earlier than the entry before.
    let mut last = Duration::ZERO;
    for_each_entry(timeline, end, |entry| {
        last = last.max(entry.at);
        let at = last;
        let item = match &entry.what {
            What::Subscribed { stream } => Item::Subscribed { stream: *stream },
            What::StreamEnded { stream, error } => {
                Item::StreamEnded { seq: entry.seq, stream: *stream, error: error.clone(), lost: false }
            }
            What::Rpc(rpc) if rpc.name == Rpc::Start || rpc.name == Rpc::Ding => {
                items.push((rpc.started, Item::Rpc { rpc: rpc.name, ok: rpc.ok }));
                return;
            }
            What::Rpc(rpc) if rpc.name == Rpc::Stop => {
                // Asked for from its request: the stream ends before the
                // reply. Placed at the request's instant, behind what was
                // recorded before its reply at that instant (a subscription
                // in the same recorded millisecond came before the request).
                items.push((rpc.started, Item::StopRequested));
                Item::Rpc { rpc: rpc.name, ok: rpc.ok }
            }
            What::Rpc(rpc) => Item::Rpc { rpc: rpc.name, ok: rpc.ok },
            // The loss follows the end that caused it, before any new subscription.
            What::Lost { .. } => {
                if let Some((_, Item::StreamEnded { lost, .. })) = items
                    .iter_mut()
                    .rev()
                    .find(|(_, item)| matches!(item, Item::StreamEnded { .. } | Item::Subscribed { .. }))
                {
                    *lost = true;
                }
                return;
            }
            What::Note(_) | What::Reopened { .. } => return,
            What::Event(event) => {
                let number = event.kind.wire();
                if let Some((_, Item::Event { number: previous, stream, .. })) = items.last()
                    && *previous == number
                    && *stream == event.stream
                    && !reads_payload(number)
                {
                    return;
                }
                Item::Event {
                    seq: entry.seq,
                    stream: event.stream,
                    number,
                    // A payload the recording trimmed is judged by type and time only, live as re-judged.
                    payload: event.payload.clone().filter(|_| event.kept.is_whole()),
                    replay: event.replay,
                    at: entry.at,
                }
            }
        };
        items.push((at, item));
    });
    if rounded {
        // What a request caused (a Stop's stream end, a Ding's dong), recorded
        // up to a millisecond before the request's rebuilt start, is placed at it.
        let requests = |wanted: fn(&Item) -> bool| -> Vec<Duration> {
            items.iter().filter(|(_, item)| wanted(item)).map(|(at, _)| *at).collect()
        };
        let stops = requests(|item| matches!(item, Item::StopRequested));
        let dings = requests(|item| matches!(item, Item::Rpc { rpc: Rpc::Ding, .. }));
        let starts = requests(|item| matches!(item, Item::Rpc { rpc: Rpc::Start, .. }));
        // A login, ready or scan the timeline marked live came after a Start was sent (a Start ends the
        // replays, `session::replay`): recorded up to a millisecond before the Start's rebuilt request, it is
        // placed at it.
        let after_start = |number: i32| {
            [EventKind::Login, EventKind::Ready, EventKind::Scan].iter().any(|kind| kind.wire() == number)
        };
        for (at, item) in &mut items {
            // At a Stop's or a Ding's request (the sort ranks them); just after a Start's (what came after it).
            let (causes, after) = match item {
                Item::StreamEnded { .. } => (&stops, Duration::ZERO),
                Item::Event { number, .. } if *number == EventKind::Dong.wire() => (&dings, Duration::ZERO),
                Item::Event { number, replay: false, .. } if after_start(*number) => (&starts, Duration::from_nanos(1)),
                _ => continue,
            };
            if let Some(request) = causes.iter().find(|request| **request >= *at && **request <= *at + ROUNDING) {
                *at = *request + after;
            }
        }
    }
    // Stable: at one instant, a stream's end comes after whatever else was
    // recorded then (what a Stop's request caused cannot precede it).
    // A Ding's request goes before a dong at the same instant.
    items.sort_by_key(|(at, item)| {
        let rank = match item {
            Item::Rpc { rpc: Rpc::Ding, .. } => 0,
            Item::StreamEnded { .. } => 2,
            _ => 1,
        };
        (*at, rank)
    });
    items.into_iter().map(|(_, item)| item).collect()
}

/// Event types whose payload or count the state machine reads: each one is
/// kept (scan, ready, login, logout, dong and the unknown ones).
fn reads_payload(number: i32) -> bool {
    !matches!(number, 1 | 2 | 4 | 16..=21 | 27)
}

fn list(seqs: &[usize]) -> String {
    let shown: Vec<String> = seqs.iter().take(10).map(ToString::to_string).collect();
    if seqs.len() > 10 { format!("{} …", shown.join(", ")) } else { shown.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Action;

    /// Every state rule is asked for by a built-in check, and every rule a built-in check names is one the judge
    /// knows: a rule renamed in one place only (its id in `vocab`, or a suite's list) fails here or when the suite
    /// loads, never by a check that passes without a word.
    #[test]
    fn every_state_rule_is_asked_for_by_a_built_in_check() {
        let suites = crate::suite::load_suites(&[]).expect("the built-in suites load");
        let mut asked = std::collections::BTreeSet::new();
        for check in suites.iter().flat_map(|suite| suite.checks.iter()) {
            for step in &check.steps {
                if let Action::Judge(JudgeAction::JudgeStates { rules }) = &step.action {
                    asked.extend(rules.iter().copied());
                }
            }
        }
        let never: Vec<&str> =
            StateRule::ALL.iter().filter(|rule| !asked.contains(rule)).map(|rule| rule.id()).collect();
        assert!(never.is_empty(), "state rules no built-in check asks for: {never:?}");
    }

    /// The judge keeps a finding by its rule: a suite asking for a renamed rule is refused with the known ids.
    #[test]
    fn a_renamed_state_rule_is_refused_when_the_suite_loads() {
        let renamed =
            crate::suite::BUILTIN.replace("rules: [stream-ended-outside-stop]", "rules: [stream-ended-outside-stops]");
        assert_ne!(renamed, crate::suite::BUILTIN, "the built-in suite asks for stream-ended-outside-stop");
        let errors = crate::suite::parse(&renamed, "renamed.yaml").expect_err("the renamed rule is refused");
        let shown = errors.to_string();
        assert!(shown.contains("unknown state rule `stream-ended-outside-stops`"), "{shown}");
        assert!(shown.contains(StateRule::StreamEndedOutsideStop.id()), "{shown}");
    }

    /// An end read microseconds after the stream's last event, in its millisecond, is still judged after it, not
    /// as an event after the end (a flake seen in CI: `heartbeat` on stream 3 "on a stream that ended").
    #[test]
    fn an_end_read_just_after_an_event_is_judged_after_it() {
        let timeline = Timeline::new();
        for stream in 1..=200u32 {
            timeline.push(What::Subscribed { stream });
            timeline.push_event(stream, EventKind::Heartbeat.wire(), r#"{"data":"beat"}"#.into());
            timeline.push(What::StreamEnded { stream, error: None });
        }
        let judged = states::judge(&state_items(&timeline, true, usize::MAX));
        let after_end: Vec<&str> = judged
            .findings
            .iter()
            .filter(|finding| finding.rule == StateRule::EventAfterStreamEnd)
            .map(|finding| finding.message.as_str())
            .collect();
        assert!(after_end.is_empty(), "{after_end:?}");
    }

    /// A recording's whole milliseconds: a `Stop` that took under a
    /// millisecond is rebuilt a millisecond after the end it caused.
    const RECORDED: &str = r#"{"seq":0,"at_ms":5,"kind":"subscribed","stream":1}
{"seq":1,"at_ms":10,"kind":"stream-ended","stream":1}
{"seq":2,"at_ms":11,"kind":"rpc","rpc":"Stop","took_ms":0,"outcome":"ok"}
{"seq":3,"at_ms":11,"kind":"subscribed","stream":2}
{"seq":4,"at_ms":20,"kind":"subscribed","stream":3}
{"seq":5,"at_ms":21,"kind":"rpc","rpc":"Stop","took_ms":0,"outcome":"ok"}
{"seq":6,"at_ms":21,"kind":"stream-ended","stream":3}
"#;

    fn ended_outside_stop(rounded: bool) -> Vec<String> {
        let judged = states::judge(&state_items(&recorded(RECORDED), rounded, usize::MAX));
        judged
            .findings
            .iter()
            .filter(|finding| finding.rule == StateRule::StreamEndedOutsideStop)
            .map(|finding| finding.message.clone())
            .collect()
    }

    /// A timeline rebuilt from a recording's text.
    fn recorded(recording: &str) -> Timeline {
        let dir = std::env::temp_dir().join(format!("puppet-lint-judge-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("timeline.jsonl");
        std::fs::write(&path, recording).unwrap();
        let timeline = Timeline::from_recording(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        timeline
    }

    fn judged(recording: &str) -> states::Judged {
        states::judge(&state_items(&recorded(recording), true, usize::MAX))
    }

    /// The end the loss followed is the loss's; an end survived by a new
    /// subscription is the stream rule's.
    #[test]
    fn an_end_that_came_with_the_loss_is_not_judged_again() {
        let lost = judged(
            r#"{"seq":0,"at_ms":1,"kind":"subscribed","stream":1}
{"seq":1,"at_ms":5,"kind":"stream-ended","stream":1,"error":"TCP: connection reset"}
{"seq":2,"at_ms":6,"kind":"rpc","rpc":"Event","took_ms":0,"outcome":"UNAVAILABLE: connection refused"}
{"seq":3,"at_ms":7,"kind":"note","text":"lost the service at +0.0s: connection refused"}
"#,
        );
        assert!(lost.findings.is_empty(), "{:?}", lost.findings);
        assert_eq!(lost.lost_ends, [1]);
        let survived = judged(
            r#"{"seq":0,"at_ms":1,"kind":"subscribed","stream":1}
{"seq":1,"at_ms":5,"kind":"stream-ended","stream":1,"error":"CANCELLED"}
{"seq":2,"at_ms":6,"kind":"subscribed","stream":2}
{"seq":3,"at_ms":9,"kind":"note","text":"lost the service at +0.0s: `Ding` did not answer"}
"#,
        );
        assert_eq!(survived.findings.len(), 1, "{:?}", survived.findings);
        assert!(survived.lost_ends.is_empty());
    }

    /// A scan the timeline marked live, recorded in the same millisecond as the rebuilt request of the `Start`
    /// it followed, is judged after that Start (started, scanning allowed), not while stopped.
    #[test]
    fn a_live_scan_in_the_millisecond_of_its_start_follows_it() {
        let recording = r#"{"seq":0,"at_ms":5,"kind":"subscribed","stream":1}
{"seq":1,"at_ms":6,"kind":"rpc","rpc":"Start","took_ms":1,"outcome":"ok"}
{"seq":2,"at_ms":20,"kind":"stream-ended","stream":1}
{"seq":3,"at_ms":21,"kind":"rpc","rpc":"Stop","took_ms":2,"outcome":"ok"}
{"seq":4,"at_ms":105,"kind":"subscribed","stream":2}
{"seq":5,"at_ms":105,"kind":"event","stream":2,"event":"heartbeat","number":1,"payload":"{}","connect_heartbeat":true}
{"seq":6,"at_ms":106,"kind":"event","stream":2,"event":"scan","number":22,"payload":"{\"qrcode\":\"q\",\"status\":2}"}
{"seq":7,"at_ms":150,"kind":"rpc","rpc":"Start","took_ms":44,"outcome":"ok"}
"#;
        let judged = states::judge(&state_items(&recorded(recording), true, usize::MAX));
        assert!(judged.findings.is_empty(), "{:#?}", judged.findings);
    }

    /// A `dong` read before its `Ding`'s reply answers that Ding (it takes
    /// effect from its request).
    #[test]
    fn a_dong_before_the_dings_reply_answers_it() {
        let dongs = |recording: &str, rounded: bool| -> usize {
            let judged = states::judge(&state_items(&recorded(recording), rounded, usize::MAX));
            judged.findings.iter().filter(|finding| finding.rule == StateRule::DongWithoutDing).count()
        };
        let before_reply = r#"{"seq":0,"at_ms":1,"kind":"subscribed","stream":1}
{"seq":1,"at_ms":10,"kind":"event","stream":1,"event":"dong","number":3,"payload":"{\"data\":\"x\"}"}
{"seq":2,"at_ms":12,"kind":"rpc","rpc":"Ding","took_ms":2,"outcome":"ok"}
"#;
        assert_eq!(dongs(before_reply, true), 0);
        assert_eq!(dongs(before_reply, false), 0);
        // Rebuilt a millisecond late: counted from the request when re-judged.
        let rounding = before_reply.replace(r#""took_ms":2"#, r#""took_ms":1"#);
        assert_eq!(dongs(&rounding, true), 0);
        let unasked = r#"{"seq":0,"at_ms":1,"kind":"subscribed","stream":1}
{"seq":1,"at_ms":5,"kind":"event","stream":1,"event":"dong","number":3,"payload":"{\"data\":\"x\"}"}
{"seq":2,"at_ms":12,"kind":"rpc","rpc":"Ding","took_ms":2,"outcome":"ok"}
"#;
        assert_eq!(dongs(unasked, true), 1);
    }

    #[test]
    fn a_recorded_end_a_millisecond_before_its_stop_counts_as_asked_for() {
        assert_eq!(ended_outside_stop(true), Vec::<String>::new());
    }

    #[test]
    fn live_an_end_before_the_stop_is_outside_it() {
        let found = ended_outside_stop(false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("stream 1"), "{found:?}");
    }
}
