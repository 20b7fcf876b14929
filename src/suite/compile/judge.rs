//! The judge family's actions: `judge_states`, `judge_shapes`.

use super::*;
use crate::suite::doc::{JudgeShapesDoc, JudgeStatesDoc};

impl Compiler<'_> {
    pub(super) fn judge_states(
        &mut self,
        judge: JudgeStatesDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&judge.condition, names);
        for rule in &judge.rules {
            if !STATE_RULES.contains(&rule.value.as_str()) {
                let location = self.at(rule);
                self.error(
                    location,
                    format!("unknown state rule `{}`: the rules are {}", rule.value, STATE_RULES.join(", ")),
                );
            }
        }
        if judge.rules.is_empty() {
            self.error(location.clone(), "judge_states needs at least one rule");
        }
        let rules = judge.rules.iter().map(|rule| rule.value.clone()).collect();
        (judge.condition, None, None, Action::JudgeStates { rules })
    }

    pub(super) fn judge_shapes(&mut self, judge: JudgeShapesDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&judge.condition, names);
        let level = match judge.level.value.as_str() {
            "must" => Severity::Must,
            "should" => Severity::Should,
            other => {
                let location = self.at(&judge.level);
                self.error(location, format!("level `{other}`: write must or should"));
                Severity::Must
            }
        };
        (judge.condition, None, None, Action::JudgeShapes { level })
    }
}
