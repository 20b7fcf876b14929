//! Text for GitHub Actions workflow commands (`::error title=…::message`): the runner reads each line of a job's
//! output as a possible command, so a new line inside a message would start one of the peer's choosing.

use std::fmt::Write as _;

/// Longest message kept of one annotation.
pub const MESSAGE_LIMIT: usize = 2_000;

/// A command's message: tokens masked first; `%`, CR and LF escaped; other
/// control characters (escape sequences that would drive the log viewer)
/// and the format characters that reorder or hide text
/// ([`super::terminal::hidden`]) shown as `\u{…}`.
pub fn data(text: &str) -> String {
    let text = crate::events::truncate(&crate::redact::redact(text), MESSAGE_LIMIT);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if super::terminal::hidden(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A command's property value: as [`data`], plus `:` and `,`, which would
/// end the value.
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
