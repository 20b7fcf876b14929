//! The watch family's actions: `wait`, `wait_for`, `expect_none`, `expect_count`, `assert`; event names,
//! `matching` and the range a count looks at.

use std::collections::BTreeMap;

use super::*;
use crate::suite::doc::{AssertDoc, ExpectCountDoc, ExpectNoneDoc, OneOrMany, WaitDoc, WaitForDoc};

impl Compiler<'_> {
    pub(super) fn wait(&mut self, wait: WaitDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&wait.condition, names);
        let duration = self.duration(&wait.duration, names, cx.condition.as_deref());
        (wait.condition, None, None, Action::Watch(WatchAction::Wait { duration }))
    }

    pub(super) fn wait_for(&mut self, wait: WaitForDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&wait.condition, names);
        let events = self.events(&wait.event);
        let matching = self.matching(&wait.matching, names, cx);
        let after = self.mark(&wait.after, names);
        let within = wait.within.as_ref().map(|within| self.duration(within, names, cx.condition.as_deref()));
        let or_skip = wait.or_skip;
        (
            wait.condition,
            wait.capture,
            None,
            Action::Watch(WatchAction::WaitFor { events, matching, after, within, or_skip }),
        )
    }

    pub(super) fn expect_none(
        &mut self,
        none: ExpectNoneDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&none.condition, names);
        let range = Range { after: &none.after, before: &none.before, duration: &none.duration };
        let action = self.count(&none.event, &none.matching, range, (None, Some(0)), names, cx, location);
        (none.condition, None, None, action)
    }

    pub(super) fn expect_count(
        &mut self,
        count: ExpectCountDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&count.condition, names);
        if count.at_least.is_none() && count.at_most.is_none() {
            self.error(location.clone(), "expect_count needs `at_least`, `at_most` or both");
        }
        if let (Some(least), Some(most)) = (count.at_least, count.at_most)
            && least > most
        {
            self.error(location.clone(), format!("expect_count: at_least ({least}) is above at_most ({most})"));
        }
        let range = Range { after: &count.after, before: &count.before, duration: &count.duration };
        let bounds = (count.at_least, count.at_most);
        let action = self.count(&count.event, &count.matching, range, bounds, names, cx, location);
        (count.condition, None, None, action)
    }

    pub(super) fn assert(
        &mut self,
        assert: AssertDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&assert.condition, names);
        let that = self.template(&assert.that, names, cx);
        let comparison = match (&assert.equals, &assert.contains, &assert.at_most, &assert.byte_for_byte) {
            (Some(equals), None, None, None) => Comparison::Equals(self.template(equals, names, cx)),
            (None, Some(contains), None, None) => Comparison::Contains(self.template(contains, names, cx)),
            (None, None, Some(at_most), None) => Comparison::AtMost(self.template(at_most, names, cx)),
            (None, None, None, Some(same)) => Comparison::ByteForByte(self.template(same, names, cx)),
            _ => {
                self.error(
                    location.clone(),
                    "assert needs exactly one of `equals`, `contains`, `at_most` or `byte_for_byte`",
                );
                Comparison::Equals(Template::literal(""))
            }
        };
        (assert.condition, None, None, Action::Watch(WatchAction::Assert { that, comparison, message: assert.message }))
    }

    fn events(&mut self, located: &Located<OneOrMany>) -> Vec<EventKind> {
        let names = match &located.value {
            OneOrMany::One(name) => vec![name.clone()],
            OneOrMany::Many(names) => names.clone(),
        };
        if names.is_empty() {
            let location = self.at(located);
            self.error(location, "`event` lists no event type");
        }
        names
            .iter()
            .filter_map(|name| {
                let kind = EventKind::from_name(name);
                if kind.is_none() {
                    let location = self.at(located);
                    let known: Vec<&str> = EventKind::known_names().collect();
                    self.error(
                        location,
                        format!("unknown event type `{name}`; known: {}, or type-N", known.join(", ")),
                    );
                }
                kind
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn count(
        &mut self,
        event: &Located<OneOrMany>,
        matching: &BTreeMap<String, Located<String>>,
        range: Range<'_>,
        (at_least, at_most): (Option<u32>, Option<u32>),
        names: &Names,
        cx: &StepContext,
        location: &Location,
    ) -> Action {
        let events = self.events(event);
        let matching = self.matching(matching, names, cx);
        let after = self.mark(range.after, names);
        let until = match (range.before, range.duration) {
            (Some(_), Some(_)) => {
                self.error(location.clone(), "a count takes `before` or `for`, not both");
                Until::Now
            }
            (Some(_), None) => Until::Mark(self.mark(range.before, names).unwrap_or_default()),
            (None, Some(duration)) => Until::For(self.duration(duration, names, cx.condition.as_deref())),
            (None, None) => Until::Now,
        };
        Action::Watch(WatchAction::ExpectCount {
            events,
            matching,
            after,
            until,
            at_least: at_least.unwrap_or(0),
            at_most,
        })
    }

    fn matching(
        &mut self,
        matching: &BTreeMap<String, Located<String>>,
        names: &Names,
        cx: &StepContext,
    ) -> Vec<(String, Template)> {
        matching.iter().map(|(field, value)| (field.clone(), self.template(value, names, cx))).collect()
    }
}

/// Where a count looks.
struct Range<'a> {
    after: &'a Option<Located<String>>,
    before: &'a Option<Located<String>>,
    duration: &'a Option<Located<String>>,
}
