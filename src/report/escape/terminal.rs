//! Text for a terminal or a plain log line: nothing in it can drive the terminal (ESC starts CSI and OSC
//! sequences — colours, cursor moves, an OSC 52 clipboard write —, BEL rings, CR overwrites the line) or hide
//! what it says (bidi overrides reorder the text, zero-width characters hide inside it).

/// At most this many characters of a peer's string are shown on one line (a cut says how much was left).
pub const SHOWN_LIMIT: usize = 2_000;

/// One line of inert text: tokens masked ([`crate::redact`], before anything else: an escape added here could
/// hide a secret from it); CR, LF and TAB become spaces; every other control character (C0, DEL, C1) and every
/// bidi-control or zero-width format character is shown as its escape, `\u{1b}`; at most [`SHOWN_LIMIT`]
/// characters.
pub fn one_line(text: &str) -> String {
    let text = crate::events::truncate(&crate::redact::redact(text), SHOWN_LIMIT);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if hidden(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Several lines of inert text (an error message, a suite error with its source line): each line as
/// [`one_line`] makes it, but whole (no cut), its new lines kept; a line that would start a GitHub workflow
/// command (`::error::…`, after any indentation) has its first `:` shown as `\u{003a}`. Tokens masked first.
pub fn block(text: &str) -> String {
    let text = crate::redact::redact(text);
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start().len();
        let (lead, rest) = line.split_at(indent);
        out.push_str(lead);
        let rest = match rest.strip_prefix("::") {
            Some(after) => {
                out.push_str("\\u{003a}:");
                after
            }
            None => rest,
        };
        for c in rest.chars() {
            match c {
                '\t' => out.push(c),
                c if hidden(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
                c => out.push(c),
            }
        }
    }
    out
}

/// Control characters, and format characters that reorder or hide text: the bidi embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069), the marks (U+200E, U+200F, U+061C), zero-width characters
/// (U+200B–U+200D, U+2060, U+FEFF) and the soft hyphen (U+00AD).
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_shown_not_obeyed() {
        let hostile = "ok\u{1b}]52;c;ZXZpbA==\u{7}\r\nnext\u{9b}31m\u{202e}txt.exe\u{200b}";
        let shown = one_line(hostile);
        assert!(!shown.chars().any(hidden), "{shown:?}");
        assert_eq!(shown, "ok\\u{001b}]52;c;ZXZpbA==\\u{0007}  next\\u{009b}31m\\u{202e}txt.exe\\u{200b}");
    }

    #[test]
    fn a_block_keeps_its_lines_and_starts_no_workflow_command() {
        let shown = block("error: bad\r\n  ::error::pwned\n::warning file=f::w\n\tkept \u{1b}[2J");
        assert_eq!(
            shown,
            "error: bad\\u{000d}\n  \\u{003a}:error::pwned\n\\u{003a}:warning file=f::w\n\tkept \\u{001b}[2J"
        );
        assert!(!shown.lines().any(|line| line.trim_start().starts_with("::")));
    }
}
