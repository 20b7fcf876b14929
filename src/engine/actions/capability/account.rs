//! The probes of the rows that read the account (rooms, members, contacts, tags, QR codes, the login), and of
//! those that change something and put it back (an alias with `--peer-contact`; a room's announcement and name with
//! `--peer-room` and `--allow-destructive`).

use super::*;

impl Probe<'_> {
    // --- reads ---------------------------------------------------------------------------------------------------

    /// The first room `RoomList` names (`untested` when the bot is in none).
    pub(super) async fn first_room(&self) -> Probing<String> {
        let rooms = self.answered(Rpc::RoomList, self.session.room_list().await, "`RoomList` answers")?;
        rooms
            .into_iter()
            .next()
            .ok_or_else(|| Halt::Found(Found::untested("the bot is in no room (`RoomList` is empty)")))
    }

    pub(super) async fn room_list(&self) -> Probing<Found> {
        let expected = "`RoomList` names rooms whose `RoomPayload` answers with the same id";
        let rooms = self.answered(Rpc::RoomList, self.session.room_list().await, expected)?;
        if rooms.is_empty() {
            return Ok(Found::untested("the bot is in no room (`RoomList` is empty): nothing to resolve"));
        }
        for room in rooms.iter().take(RESOLVE_AT_MOST) {
            let payload = self.answered(Rpc::RoomPayload, self.session.room_payload(room).await, expected)?;
            if payload.id != *room {
                return Ok(Found::broken(
                    expected,
                    format!("`RoomPayload(\"{room}\")` answered for \"{}\"", shown(&payload.id, 80)),
                ));
            }
        }
        Ok(Found::supported(
            expected,
            format!("{} room(s), the first {} resolve", rooms.len(), rooms.len().min(RESOLVE_AT_MOST)),
        ))
    }

    pub(super) async fn room_member_list(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomMemberList(\"{room}\")` names the room's members, the bot among them");
        let members = self.answered(Rpc::RoomMemberList, self.session.room_member_list(&room).await, &expected)?;
        if !members.contains(&self.bot) {
            return Ok(Found::broken(expected, format!("{} member(s), the bot not among them", members.len())));
        }
        Ok(Found::supported(expected, format!("{} member(s), the bot among them", members.len())))
    }

    pub(super) async fn room_details(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomPayload(\"{room}\")` has its id and a topic, and its owner is a member");
        let payload = self.answered(Rpc::RoomPayload, self.session.room_payload(&room).await, &expected)?;
        if payload.id != room {
            return Ok(Found::broken(expected, format!("it answered for \"{}\"", shown(&payload.id, 80))));
        }
        if !payload.owner_id.is_empty()
            && !payload.member_ids.is_empty()
            && !payload.member_ids.contains(&payload.owner_id)
        {
            return Ok(Found::broken(
                expected,
                format!("its owner \"{}\" is not among its member_ids", shown(&payload.owner_id, 80)),
            ));
        }
        if payload.topic.is_empty() {
            return Ok(Found::partial("the room's details carry no topic", expected, "topic \"\""));
        }
        Ok(Found::supported(
            expected,
            format!("topic \"{}\", {} member id(s)", shown(&payload.topic, 60), payload.member_ids.len()),
        ))
    }

    pub(super) async fn room_member_details(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomMemberPayload(\"{room}\", bot)` answers for the bot");
        let payload =
            self.answered(Rpc::RoomMemberPayload, self.session.room_member_payload(&room, &self.bot).await, &expected)?;
        if payload.id != self.bot {
            return Ok(Found::broken(expected, format!("it answered for \"{}\"", shown(&payload.id, 80))));
        }
        Ok(Found::supported(expected, format!("name \"{}\"", shown(&payload.name, 60))))
    }

    pub(super) async fn get_announcement(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomAnnounce(\"{room}\")` without text reads the room's announcement");
        let text = self.answered(Rpc::RoomAnnounce, self.session.room_announce(&room, None).await, &expected)?;
        if text.is_empty() {
            return Ok(Found::partial(
                "the announcement read back empty: a room without one cannot tell a read from a provider that \
                 returns nothing",
                expected,
                "\"\"",
            ));
        }
        Ok(Found::supported(expected, format!("{} character(s)", text.chars().count())))
    }

    pub(super) async fn room_qr_code(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomQRCode(\"{room}\")` answers a QR code's content (a URL, no spaces)");
        let qrcode = self.answered(Rpc::RoomQRCode, self.session.room_qr_code(&room).await, &expected)?;
        // A join credential: only its shape is told.
        Ok(qr_code(qrcode, expected))
    }

    pub(super) async fn self_qr_code(&self) -> Probing<Found> {
        let expected = "`ContactSelfQRCode` answers a QR code's content (a URL, no spaces)".to_owned();
        let qrcode = self.answered(Rpc::ContactSelfQRCode, self.session.self_qr_code().await, &expected)?;
        Ok(qr_code(qrcode, expected))
    }

    pub(super) async fn contact_list(&self) -> Probing<Found> {
        let expected = "`ContactList` names contacts whose `ContactPayload` answers with the same id";
        let contacts = self.answered(Rpc::ContactList, self.session.contact_list().await, expected)?;
        let others: Vec<&String> = contacts.iter().filter(|id| **id != self.bot).collect();
        if others.is_empty() {
            return Ok(Found::untested("`ContactList` names no contact but the bot: nothing to resolve"));
        }
        for contact in others.iter().take(RESOLVE_AT_MOST) {
            let payload = self.answered(Rpc::ContactPayload, self.session.contact_payload(contact).await, expected)?;
            if payload.id != **contact {
                return Ok(Found::broken(
                    expected,
                    format!("`ContactPayload(\"{contact}\")` answered for \"{}\"", shown(&payload.id, 80)),
                ));
            }
        }
        Ok(Found::supported(
            expected,
            format!("{} contact(s), the first {} resolve", others.len(), others.len().min(RESOLVE_AT_MOST)),
        ))
    }

    pub(super) async fn contact_details(&self) -> Probing<Found> {
        let contacts = self.answered(Rpc::ContactList, self.session.contact_list().await, "`ContactList` answers")?;
        let Some(contact) = contacts.into_iter().find(|id| *id != self.bot) else {
            return Ok(Found::untested("`ContactList` names no contact but the bot"));
        };
        let expected = format!("`ContactPayload(\"{contact}\")` answers with its id and a name");
        let payload = self.answered(Rpc::ContactPayload, self.session.contact_payload(&contact).await, &expected)?;
        if payload.id != contact {
            return Ok(Found::broken(expected, format!("it answered for \"{}\"", shown(&payload.id, 80))));
        }
        if payload.name.is_empty() {
            return Ok(Found::partial("the contact's details carry no name", expected, "name \"\""));
        }
        Ok(Found::supported(expected, format!("name \"{}\"", shown(&payload.name, 60))))
    }

    pub(super) async fn contact_tags(&self) -> Probing<Found> {
        let expected = "`TagContactList` (all tags) answers".to_owned();
        let tags = self.answered(Rpc::TagContactList, self.session.tag_contact_list("").await, &expected)?;
        if tags.is_empty() {
            return Ok(Found::partial(
                "no tags: an account without tags cannot tell a read from a provider that returns nothing",
                expected,
                "[]",
            ));
        }
        Ok(Found::supported(expected, format!("{} tag(s)", tags.len())))
    }

    pub(super) fn login_event(&self) -> Probing<Found> {
        let timeline = &self.run.context.timeline;
        let expected = format!("a `login` event naming the bot, \"{}\"", self.bot);
        let scan = timeline.scan(0, of_kinds(&[EventKind::Login]), SCAN_LIMIT);
        let logins: Vec<String> = scan
            .entries
            .iter()
            .filter_map(event_of)
            .filter_map(|event| event.field("contactId").map(str::to_owned))
            .collect();
        Ok(if logins.contains(&self.bot) {
            Found::supported(expected, format!("{} login event(s)", logins.len()))
        } else if logins.is_empty() {
            Found::broken(expected, "no `login` event in the run")
        } else {
            Found::broken(expected, format!("`login` named \"{}\"", shown(&logins[0], 80)))
        })
    }

    // --- a peer, or destructive: what changes is put back --------------------------------------------------------

    pub(super) async fn mention(&self, room: &str, contact: Option<String>) -> Probing<Found> {
        let members =
            self.answered(Rpc::RoomMemberList, self.session.room_member_list(room).await, "`RoomMemberList` answers")?;
        let member = contact
            .filter(|contact| members.contains(contact))
            .or_else(|| members.iter().find(|member| **member != self.bot).cloned());
        let Some(member) = member else {
            return Ok(Found::untested(format!("the room \"{room}\" has no member but the bot to mention")));
        };
        let text = format!("puppet-lint mention {}", self.nonce);
        let after = self.mark();
        let sent = self.session.send_text_mentioning(room, &text, std::slice::from_ref(&member)).await;
        let echo = self
            .sent_echo_in(Some(room), "a text mentioning a member", Rpc::MessageSendText, &self.nonce, sent, after)
            .await?;
        let expected = format!("the echo's mention_ids name \"{member}\"");
        Ok(if echo.mention_ids.contains(&member) {
            Found::supported(expected, format!("echo {} mentions the member", echo.id))
        } else {
            Found::new(
                Outcome::Broken,
                format!("the echo's mention_ids are {:?}", echo.mention_ids),
                expected,
                format!("echo {} carries mention_ids {:?}", echo.id, echo.mention_ids),
            )
        })
    }

    /// Sets `setting` to `new`, reads it back, puts the old value back and reads that back too (a failed restore
    /// is said, and makes the row broken).
    async fn set_and_restore(&self, setting: Setting<'_>, old: String, new: String) -> Probing<Found> {
        let (rpc, what) = (setting.rpc(), setting.what());
        let expected = format!("{what} reads back as set, \"{new}\", and is put back to \"{}\"", shown(&old, 60));
        self.answered(rpc, setting.set(&self.session, &new).await, &expected)?;
        let read = self.answered(rpc, setting.get(&self.session).await, &expected)?;
        let restored = setting.set(&self.session, &old).await;
        let back = setting.get(&self.session).await;
        let restore = match (restored, back) {
            (Ok(_), Ok(back)) if back == old => None,
            (Ok(_), Ok(back)) => Some(format!("putting it back failed: it reads \"{}\"", shown(&back, 60))),
            (Err(error), _) | (_, Err(error)) => {
                Some(format!("putting it back failed: {}", shown(&error.shown(), 160)))
            }
        };
        let mut found = if read == new {
            Found::supported(expected, format!("read back \"{}\"", shown(&read, 60)))
        } else {
            Found::broken(expected, format!("set answered OK, but it reads \"{}\"", shown(&read, 60)))
        };
        if let Some(restore) = restore {
            found = Found::broken(found.expected, format!("{}; {restore}", found.seen));
        }
        Ok(found)
    }

    pub(super) async fn alias(&self, contact: &str) -> Probing<Found> {
        let setting = Setting::Alias(contact);
        let old = self.answered(Rpc::ContactAlias, setting.get(&self.session).await, "`ContactAlias` reads")?;
        let new = format!("puppet-lint {}", &self.nonce[self.nonce.len().saturating_sub(6)..]);
        self.set_and_restore(setting, old, new).await
    }

    pub(super) async fn set_announcement(&self, room: &str) -> Probing<Found> {
        let setting = Setting::Announcement(room);
        let old = self.answered(Rpc::RoomAnnounce, setting.get(&self.session).await, "`RoomAnnounce` reads")?;
        let new = format!("puppet-lint {}", self.nonce);
        self.set_and_restore(setting, old, new).await
    }

    /// Changes the room's topic and puts it back: `Change group name` judges the read-back, `Group name change
    /// event` the `room-topic` event naming the room and the new topic.
    pub(super) async fn set_topic(&self, room: &str, event: bool) -> Probing<Found> {
        let old = self.answered(Rpc::RoomPayload, self.session.room_payload(room).await, "`RoomPayload` reads")?.topic;
        let new = format!("puppet-lint {}", &self.nonce[self.nonce.len().saturating_sub(6)..]);
        let after = self.mark();
        let found = self.set_and_restore(Setting::Topic(room), old, new.clone()).await?;
        if !event {
            return Ok(found);
        }
        let expected = format!("a `room-topic` event for \"{room}\" with newTopic \"{new}\"");
        let timeline = &self.run.context.timeline;
        let seen = timeline
            .wait_for(after, self.deadline, of_kinds(&[EventKind::RoomTopic]), |entry| {
                event_of(entry).is_some_and(|event| {
                    event.field("roomId") == Some(room) && event.field("newTopic") == Some(new.as_str())
                })
            })
            .await;
        Ok(match seen {
            Some(entry) => Found::supported(expected, format!("room-topic at +{:.3}s", entry.at.as_secs_f64())),
            None => Found::broken(expected, "the topic was set, but no such `room-topic` event came"),
        })
    }
}

/// What a peer or destructive probe changes and puts back.
#[derive(Clone, Copy)]
enum Setting<'a> {
    /// The alias the bot gave a contact (`ContactAlias`).
    Alias(&'a str),
    /// A room's announcement (`RoomAnnounce`).
    Announcement(&'a str),
    /// A room's name (`RoomTopic` sets it; `RoomPayload` reads it back).
    Topic(&'a str),
}

impl Setting<'_> {
    fn rpc(self) -> Rpc {
        match self {
            Setting::Alias(_) => Rpc::ContactAlias,
            Setting::Announcement(_) => Rpc::RoomAnnounce,
            Setting::Topic(_) => Rpc::RoomTopic,
        }
    }

    fn what(self) -> String {
        match self {
            Setting::Alias(contact) => format!("the alias of \"{contact}\""),
            Setting::Announcement(room) => format!("the announcement of \"{room}\""),
            Setting::Topic(room) => format!("the name of \"{room}\""),
        }
    }

    async fn set(self, session: &Session, value: &str) -> Result<String, RpcError> {
        match self {
            Setting::Alias(contact) => session.contact_alias(contact, Some(value)).await,
            Setting::Announcement(room) => session.room_announce(room, Some(value)).await,
            Setting::Topic(room) => session.room_topic(room, Some(value)).await,
        }
    }

    async fn get(self, session: &Session) -> Result<String, RpcError> {
        match self {
            Setting::Alias(contact) => session.contact_alias(contact, None).await,
            Setting::Announcement(room) => session.room_announce(room, None).await,
            Setting::Topic(room) => session.room_payload(room).await.map(|payload| payload.topic),
        }
    }
}

/// A QR code's content: a URL (or at least no spaces and not empty) is supported; anything else partial. The
/// content is a credential: only its shape is told.
fn qr_code(qrcode: String, expected: String) -> Found {
    let scheme = qrcode.split_once("://").map(|(scheme, _)| scheme.to_owned());
    if qrcode.is_empty() {
        return Found::broken(expected, "an empty QR code");
    }
    let shape = format!(
        "{} character(s){}",
        qrcode.chars().count(),
        scheme.as_ref().map_or_else(String::new, |scheme| format!(", a {} URL", shown(scheme, 12)))
    );
    if qrcode.chars().any(char::is_whitespace) || qrcode.chars().count() > 2953 {
        return Found::partial(
            "the QR code is not a QR payload (it has spaces, or is too long to encode)",
            expected,
            shape,
        );
    }
    Found::supported(expected, shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_code_is_judged_by_its_shape_and_never_shown() {
        let url = qr_code("https://weixin.qq.com/g/secret-part".into(), String::new());
        assert_eq!(url.outcome, Outcome::Supported);
        assert!(!url.seen.contains("secret-part"), "{}", url.seen);
        assert_eq!(qr_code("room-1 mock qrcode".into(), String::new()).outcome, Outcome::Partial);
        assert_eq!(qr_code(String::new(), String::new()).outcome, Outcome::Broken);
    }
}
