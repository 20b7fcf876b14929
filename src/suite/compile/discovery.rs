//! The discovery family's action: `registration` (`discover` has no fields: see `plain`).

use super::*;
use crate::suite::doc::RegistrationDoc;

impl Compiler<'_> {
    pub(super) fn registration(&mut self, registration: RegistrationDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&registration.condition, names);
        let within = registration.within.as_ref().map(|within| self.duration(within, names, cx.condition.as_deref()));
        (
            registration.condition,
            registration.capture,
            None,
            Action::Discovery(DiscoveryAction::Registration { within }),
        )
    }
}
