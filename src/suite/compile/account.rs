//! The account family's action: `check_account`.

use super::*;
use crate::suite::doc::CheckAccountDoc;

impl Compiler<'_> {
    pub(super) fn check_account(
        &mut self,
        account: CheckAccountDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&account.condition, names);
        let duration = self.duration(&account.duration, names, cx.condition.as_deref());
        let rules =
            self.rules(&account.rules, "check_account", "account", AccountRule::from_id, AccountRule::ids, location);
        (account.condition, None, None, Action::Account(AccountAction::CheckAccount { duration, rules }))
    }
}
