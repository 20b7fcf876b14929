//! The files family's actions: `send_file`, `download_file`, `ding_during_transfer`, `expect_mime`,
//! `check_received_files`; MIME types and byte sizes.

use super::*;
use crate::suite::doc::{DingDuringTransferDoc, DownloadFileDoc, ExpectMimeDoc, ReceivedFilesDoc, SendFileDoc, ViaDoc};
use crate::wire::filebox::preferred_extension;

impl Compiler<'_> {
    pub(super) fn send_file(&mut self, send: SendFileDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&send.condition, names);
        let to = self.template(&send.to, names, cx);
        let mime = self.mime(&send.mime, names, cx);
        let name = send.name.as_ref().map(|name| self.template(name, names, cx));
        let size = send.size.as_ref().and_then(|size| self.size(size));
        let via = match send.via {
            None | Some(ViaDoc::Inline) => Via::Inline,
            Some(ViaDoc::Upload) => Via::Upload,
            Some(ViaDoc::Stream) => Via::Stream,
        };
        (
            send.condition,
            send.capture,
            send.expect_error,
            // `hashed` is set once the whole check is compiled (`hash_what_is_read`).
            Action::Files(FilesAction::SendFile { to, mime, name, size, via, hashed: false }),
        )
    }

    pub(super) fn download_file(&mut self, fetch: DownloadFileDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&fetch.condition, names);
        let id = self.template(&fetch.id, names, cx);
        let md5 = fetch.md5.as_ref().map(|md5| self.template(md5, names, cx));
        let size = fetch.size.as_ref().map(|size| self.template(size, names, cx));
        // `hashed` is set once the whole check is compiled (`hash_what_is_read`).
        let action = Action::Files(FilesAction::DownloadFile { id, md5, size, inline: fetch.inline, hashed: false });
        (fetch.condition, fetch.capture, fetch.expect_error, action)
    }

    pub(super) fn ding_during_transfer(
        &mut self,
        ding: DingDuringTransferDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&ding.condition, names);
        let size = self.size(&ding.size).unwrap_or(0);
        let factor = ding.factor.unwrap_or(2.0);
        if !(factor.is_finite() && factor >= 1.0) {
            self.error(location.clone(), format!("ding_during_transfer: factor {factor} is not a number ≥ 1"));
        }
        (ding.condition, ding.capture, None, Action::Files(FilesAction::DingDuringTransfer { size, factor }))
    }

    pub(super) fn expect_mime(&mut self, expect: ExpectMimeDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&expect.condition, names);
        let name = self.template(&expect.name, names, cx);
        let mime = self.mime(&expect.mime, names, cx);
        (expect.condition, None, None, Action::Files(FilesAction::ExpectMime { name, mime }))
    }

    pub(super) fn check_received_files(
        &mut self,
        files: ReceivedFilesDoc,
        names: &Names,
        cx: &mut StepContext,
    ) -> Parts {
        cx.condition = self.condition(&files.condition, names);
        let duration = self.duration(&files.duration, names, cx.condition.as_deref());
        (files.condition, None, None, Action::Files(FilesAction::CheckReceivedFiles { duration }))
    }

    fn mime(&mut self, located: &Located<String>, names: &Names, cx: &StepContext) -> Template {
        let template = self.template(located, names, cx);
        if template.references().next().is_none() {
            let mime = &located.value;
            let well_formed = mime.split_once('/').is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty());
            if !well_formed || preferred_extension(mime).is_none() {
                let location = self.at(located);
                self.error(location, format!("`{mime}` is not a MIME type puppet-lint knows an extension for"));
            }
        }
        template
    }

    /// A byte size: `512`, `40KiB`, `5MiB` (at most 64 MiB).
    fn size(&mut self, located: &Located<String>) -> Option<u64> {
        match parse_size(&located.value) {
            Some(size) if size > 0 && size <= 64 << 20 => Some(size),
            _ => {
                let location = self.at(located);
                self.error(
                    location,
                    format!("`{}` is not a size from 1 byte to 64MiB (write 512, 40KiB or 5MiB)", located.value),
                );
                None
            }
        }
    }
}

/// `512`, `40KiB`, `5MiB`: bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_are_bytes_kib_or_mib() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("40KiB"), Some(40 * 1024));
        assert_eq!(parse_size("5MiB"), Some(5 << 20));
        assert_eq!(parse_size(" 7 B "), Some(7));
        for bad in ["", "MiB", "5MB", "5 mib", "-1", "1.5MiB", "99999999999999999999MiB"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }
}
