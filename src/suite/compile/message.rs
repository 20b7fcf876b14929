//! The message family's actions: `send_text`, `message_payload`, `message_file`, `wait_message`,
//! `check_received_messages`, `check_message_content`.

use super::*;
use crate::suite::doc::{
    ExpectNoMessageDoc, FetchDoc, MessageContentDoc, ReceivedFilesDoc, SendTextDoc, WaitMessageDoc,
};

/// The most times `send_text` repeats its text (a long text, not a flood).
const REPEAT_MOST: u32 = 10_000;

impl Compiler<'_> {
    pub(super) fn send_text(&mut self, send: SendTextDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&send.condition, names);
        let to = self.template(&send.to, names, cx);
        let text = self.template(&send.text, names, cx);
        let repeat = match &send.repeat {
            None => 1,
            Some(repeat) if (1..=REPEAT_MOST).contains(&repeat.value) => repeat.value,
            Some(repeat) => {
                let location = self.at(repeat);
                self.error(location, format!("repeat {} is not from 1 to {REPEAT_MOST}", repeat.value));
                1
            }
        };
        (send.condition, send.capture, send.expect_error, Action::Message(MessageAction::SendText { to, text, repeat }))
    }

    pub(super) fn message_payload(&mut self, fetch: FetchDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&fetch.condition, names);
        let id = self.template(&fetch.id, names, cx);
        (fetch.condition, fetch.capture, fetch.expect_error, Action::Message(MessageAction::MessagePayload { id }))
    }

    pub(super) fn message_file(&mut self, fetch: FetchDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&fetch.condition, names);
        let id = self.template(&fetch.id, names, cx);
        (fetch.condition, fetch.capture, fetch.expect_error, Action::Message(MessageAction::MessageFile { id }))
    }

    pub(super) fn wait_message(
        &mut self,
        wait: WaitMessageDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&wait.condition, names);
        if wait.id.is_none() && wait.text.is_none() && wait.name.is_none() {
            self.error(location.clone(), "wait_message needs `id`, `text` or `name` to know its message");
        }
        let id = wait.id.as_ref().map(|id| self.template(id, names, cx));
        let text = wait.text.as_ref().map(|text| self.template(text, names, cx));
        let name = wait.name.as_ref().map(|name| self.template(name, names, cx));
        let after = self.mark(&wait.after, names);
        let within = wait.within.as_ref().map(|within| self.duration(within, names, cx.condition.as_deref()));
        let or_skip = wait.or_skip;
        (
            wait.condition,
            wait.capture,
            None,
            Action::Message(MessageAction::WaitMessage { id, text, name, after, within, or_skip }),
        )
    }

    pub(super) fn expect_no_message(
        &mut self,
        none: ExpectNoMessageDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&none.condition, names);
        if none.text.is_some() == none.name.is_some() {
            self.error(location.clone(), "expect_no_message needs one of `text` or `name` to know the message");
        }
        let text = none.text.as_ref().map(|text| self.template(text, names, cx));
        let name = none.name.as_ref().map(|name| self.template(name, names, cx));
        let after = self.mark(&Some(none.after), names).unwrap_or_default();
        let duration = self.duration(&none.duration, names, cx.condition.as_deref());
        (none.condition, None, None, Action::Message(MessageAction::ExpectNoMessage { text, name, after, duration }))
    }

    pub(super) fn check_received_messages(
        &mut self,
        messages: ReceivedFilesDoc,
        names: &Names,
        cx: &mut StepContext,
    ) -> Parts {
        cx.condition = self.condition(&messages.condition, names);
        let duration = self.duration(&messages.duration, names, cx.condition.as_deref());
        (messages.condition, None, None, Action::Message(MessageAction::CheckReceivedMessages { duration }))
    }

    pub(super) fn check_message_content(
        &mut self,
        content: MessageContentDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&content.condition, names);
        let duration = self.duration(&content.duration, names, cx.condition.as_deref());
        let rules = self.rules(
            &content.rules,
            "check_message_content",
            "content",
            ContentRule::from_id,
            ContentRule::ids,
            location,
        );
        (content.condition, None, None, Action::Message(MessageAction::CheckMessageContent { duration, rules }))
    }
}
