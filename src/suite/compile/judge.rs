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
        let mut rules = Vec::new();
        for rule in &judge.rules {
            match StateRule::from_id(&rule.value) {
                Some(known) => rules.push(known),
                None => {
                    let location = self.at(rule);
                    self.error(
                        location,
                        format!("unknown state rule `{}`: the rules are {}", rule.value, StateRule::ids()),
                    );
                }
            }
        }
        if judge.rules.is_empty() {
            self.error(location.clone(), "judge_states needs at least one rule");
        }
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
        let mut rules = Vec::new();
        for rule in &judge.rules {
            match FactRule::from_id(&rule.value) {
                Some(known) => rules.push(known),
                None => {
                    let location = self.at(rule);
                    self.error(
                        location,
                        format!("unknown fact rule `{}`: the rules are {}", rule.value, FactRule::ids()),
                    );
                }
            }
        }
        if judge.rules.is_empty() {
            self.error(location.clone(), "judge_facts needs at least one rule");
        }
        (judge.condition, None, None, Action::Judge(JudgeAction::JudgeFacts { rules }))
    }
}
