//! Text for a terminal or a plain log line: nothing in it can drive the terminal (ESC starts CSI and OSC
//! sequences — colours, cursor moves, an OSC 52 clipboard write —, BEL rings, CR overwrites the line) or hide
//! what it says (bidi overrides reorder the text, zero-width and tag characters hide inside it, U+2028 and U+2029
//! end the line to some readers and not to others).

/// At most this many characters of a peer's string are shown on one line (a cut says how much was left).
pub const SHOWN_LIMIT: usize = 2_000;

/// One line of inert text: tokens masked ([`crate::redact`], before anything else: an escape added here could
/// hide a secret from it); CR, LF and TAB become spaces; every other control character (C0, DEL, C1) and every
/// character [`hidden`] names (separators, format characters, blank fillers) is shown as its escape, `\u{1b}`;
/// at most [`SHOWN_LIMIT`] characters.
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
        // Indentation as a runner trims it (Unicode white space, U+2028 among it): escaped like the rest.
        let indent = line.len() - line.trim_start().len();
        let (lead, rest) = line.split_at(indent);
        push_inert(&mut out, lead);
        let rest = match rest.strip_prefix("::") {
            Some(after) => {
                out.push_str("\\u{003a}:");
                after
            }
            None => rest,
        };
        push_inert(&mut out, rest);
    }
    out
}

/// `text` with every [`hidden`] character but TAB as its escape.
fn push_inert(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            c if hidden(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Control characters, and the characters that end a line, reorder text or hide in it: the line and paragraph
/// separators (U+2028, U+2029: a new line to many terminals, editors and JavaScript), every format character
/// (Unicode's `Cf`, [`crate::redact::is_format`]: the bidi embeddings, overrides, isolates and marks, zero-width characters, the soft hyphen,
/// the Arabic and Syriac number signs, the interlinear annotations, the musical and shorthand format controls and
/// the tag characters U+E0000–U+E007F that spell hidden ASCII), and the blank fillers that show as nothing or as
/// a space (Hangul fillers, the combining grapheme joiner, the Khmer inherent vowels, the Mongolian variation
/// selectors, the supplementary variation selectors U+E0100–U+E01EF). The variation selectors U+FE00–U+FE0F stay
/// (they choose how an emoji looks).
pub fn hidden(c: char) -> bool {
    c.is_control()
        || crate::redact::is_format(c)
        || matches!(
            c,
            // Line and paragraph separators.
            '\u{2028}' | '\u{2029}'
            // Blank fillers and invisible joiners.
            | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180D}'
                | '\u{180F}'
                | '\u{3164}'
                | '\u{FFA0}'
                | '\u{E0100}'..='\u{E01EF}'
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
    fn separators_format_characters_and_fillers_are_shown_as_escapes() {
        for (raw, shown) in [
            ("a\u{2028}b\u{2029}c", "a\\u{2028}b\\u{2029}c"),
            ("\u{e0041}\u{e0042}\u{e007f}", "\\u{e0041}\\u{e0042}\\u{e007f}"),
            ("\u{600}\u{fff9}", "\\u{0600}\\u{fff9}"),
            ("\u{180e}\u{206f}\u{3164}\u{115f}\u{e0100}", "\\u{180e}\\u{206f}\\u{3164}\\u{115f}\\u{e0100}"),
            ("\u{85}next", "\\u{0085}next"),
        ] {
            assert_eq!(one_line(raw), shown);
            assert_eq!(block(raw), shown);
        }
        // A runner trims Unicode white space before it looks for `::`: a separator as indentation is escaped too.
        assert_eq!(block("\u{2028}\u{2029} ::error::pwned"), "\\u{2028}\\u{2029} \\u{003a}:error::pwned");
        assert_eq!(
            one_line("\u{2764}\u{fe0f} caf\u{e9} \u{4f60}\u{597d}"),
            "\u{2764}\u{fe0f} caf\u{e9} \u{4f60}\u{597d}",
            "kept"
        );
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
