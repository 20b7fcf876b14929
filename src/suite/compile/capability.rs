//! The capability family's action: `probe`.

use super::*;
use crate::suite::doc::ProbeDoc;
use crate::vocab::capability::{Row, SideEffect};

impl Compiler<'_> {
    /// `probe: { row, class }`: the row must be one of the capability table's, and the class its own (a suite cannot
    /// make a destructive row look read-only).
    pub(super) fn probe(&mut self, probe: ProbeDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&probe.condition, names);
        let row = Row::find(&probe.row.value);
        if row.is_none() {
            let at = self.at(&probe.row);
            self.error(at, format!("`{}` is no row of the capability table; rows: {}", probe.row.value, Row::keys()));
        }
        let class = SideEffect::parse(&probe.class.value);
        match (row, class) {
            (_, None) => {
                let at = self.at(&probe.class);
                self.error(at, format!("`class: {}` is none of R, S, P, D, human", probe.class.value));
            }
            (Some(row), Some(class)) if row.class() != class => {
                let at = self.at(&probe.class);
                self.error(
                    at,
                    format!(
                        "`{}` is of class {} ({}), not {}",
                        row.text(),
                        row.class().as_str(),
                        row.class().meaning(),
                        class.as_str()
                    ),
                );
            }
            _ => {}
        }
        let row = row.unwrap_or(Row::SendReceiveText);
        (probe.condition, None, None, Action::Capability(CapabilityAction::Probe { row }))
    }
}
