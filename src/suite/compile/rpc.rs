//! The rpc family's actions: `ding`, `contact_payload`, `version`, `expect_synced` (`start`, `stop`, `resubscribe`, `logout` and
//! `authority_token` have no fields: see `plain`).

use super::*;
use crate::suite::doc::{DingDoc, ExpectSyncedDoc, FetchDoc, VersionDoc};

impl Compiler<'_> {
    pub(super) fn ding(&mut self, ding: DingDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&ding.condition, names);
        let data = self.template(&ding.data, names, cx);
        (ding.condition, ding.capture, ding.expect_error, Action::Rpc(RpcAction::Ding { data }))
    }

    pub(super) fn contact_payload(&mut self, fetch: FetchDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&fetch.condition, names);
        let id = self.template(&fetch.id, names, cx);
        (fetch.condition, fetch.capture, fetch.expect_error, Action::Rpc(RpcAction::ContactPayload { id }))
    }

    pub(super) fn version(&mut self, version: VersionDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&version.condition, names);
        let token = version.token.as_ref().map(|token| self.template(token, names, cx));
        (version.condition, version.capture, version.expect_error, Action::Rpc(RpcAction::Version { token }))
    }

    pub(super) fn expect_synced(&mut self, synced: ExpectSyncedDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&synced.condition, names);
        let after = self.mark(&Some(synced.after), names).unwrap_or_default();
        let from = self.mark(&synced.from, names);
        let duration = self.duration(&synced.duration, names, cx.condition.as_deref());
        (synced.condition, None, None, Action::Rpc(RpcAction::ExpectSynced { after, from, duration }))
    }
}
