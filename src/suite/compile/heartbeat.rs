//! The heartbeat family's action: `max_gap`.

use super::*;
use crate::suite::doc::MaxGapDoc;

impl Compiler<'_> {
    pub(super) fn max_gap(&mut self, gap: MaxGapDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&gap.condition, names);
        let interval = self.duration(&gap.interval, names, cx.condition.as_deref());
        let window = self.duration(&gap.window, names, cx.condition.as_deref());
        (gap.condition, None, None, Action::Heartbeat(HeartbeatAction::MaxGap { interval, window }))
    }
}
