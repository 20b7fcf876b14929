//! The judge family's actions: `judge_states`, `judge_shapes`, `judge_facts`.

use super::*;
use crate::suite::doc::{JudgeFactsDoc, JudgeShapesDoc, JudgeStatesDoc};

impl Compiler<'_> {
    pub(super) fn judge_states(
        &mut self,
        judge: JudgeStatesDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&judge.condition, names);
        let rules = self.rules(&judge.rules, "judge_states", "state", StateRule::from_id, StateRule::ids, location);
        (judge.condition, None, None, Action::Judge(JudgeAction::JudgeStates { rules }))
    }

    pub(super) fn judge_shapes(&mut self, judge: JudgeShapesDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&judge.condition, names);
        let level = Severity::parse(&judge.level.value).unwrap_or_else(|| {
            let location = self.at(&judge.level);
            self.error(location, format!("level `{}`: write must or should", judge.level.value));
            Severity::Must
        });
        (judge.condition, None, None, Action::Judge(JudgeAction::JudgeShapes { level }))
    }

    pub(super) fn judge_facts(
        &mut self,
        judge: JudgeFactsDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&judge.condition, names);
        let rules = self.rules(&judge.rules, "judge_facts", "fact", FactRule::from_id, FactRule::ids, location);
        (judge.condition, None, None, Action::Judge(JudgeAction::JudgeFacts { rules }))
    }

    /// A judge step's rule ids, each known (`from_id`), else an error at it naming the rules there are; at
    /// least one.
    pub(super) fn rules<R>(
        &mut self,
        ids: &[Located<String>],
        step: &str,
        kind: &str,
        from_id: fn(&str) -> Option<R>,
        known: fn() -> String,
        location: &Location,
    ) -> Vec<R> {
        let mut rules = Vec::new();
        for rule in ids {
            match from_id(&rule.value) {
                Some(found) => rules.push(found),
                None => {
                    let at = self.at(rule);
                    self.error(at, format!("unknown {kind} rule `{}`: the rules are {}", rule.value, known()));
                }
            }
        }
        if ids.is_empty() {
            self.error(location.clone(), format!("{step} needs at least one rule"));
        }
        rules
    }
}
