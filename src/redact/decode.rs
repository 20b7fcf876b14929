//! Text as a reader sees it once the usual disguises are off: Unicode format
//! characters (zero-width space, joiners, BOM, soft hyphen… category Cf)
//! removed, and `\uXXXX` / `\u{…}` / `\xXX` escapes, HTML character
//! references and percent-encoding decoded — each byte of the result
//! remembering the piece of the original it came from, so that a secret
//! found in the decoded text is masked where it stands in the original.

/// The decoded text and, for every byte of it, the span of the original
/// (relative to the decoded slice) it came from.
pub(super) struct Decoded {
    pub bytes: Vec<u8>,
    from: Vec<(u32, u32)>,
}

impl Decoded {
    /// The span of the original that `start..end` of the decoded bytes came
    /// from (whole escapes: never half of one).
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        (self.from[start].0 as usize, self.from[end - 1].1 as usize)
    }
}

/// The most of a text decoded at once: longer texts are decoded in slices
/// this long, overlapping by [`OVERLAP`] (an escaped secret is far shorter).
pub(super) const SLICE: usize = 1 << 20;
pub(super) const OVERLAP: usize = 64 << 10;

/// Whether `text` holds anything [`decode`] would change. Most text does not
/// (an event's JSON has `\"`, not `\u`): it is searched as it is, once.
/// `quotes`: also `\\`, `\"`, `\/` and `\'` (a registered token has one of
/// those characters).
pub(super) fn needed(text: &str, quotes: bool) -> bool {
    let bytes = text.as_bytes();
    for at in memchr::memchr3_iter(b'\\', b'%', b'&', bytes) {
        let next = bytes.get(at + 1).copied().unwrap_or(0);
        let disguise = match bytes[at] {
            b'\\' => matches!(next, b'u' | b'x') || (quotes && matches!(next, b'\\' | b'"' | b'/' | b'\'')),
            b'%' => next.is_ascii_hexdigit() && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit),
            _ => next == b'#' || next.is_ascii_alphabetic(),
        };
        if disguise {
            return true;
        }
    }
    !text.is_ascii() && text.chars().any(is_format)
}

/// `text` decoded (see the module's documentation).
pub(super) fn decode(text: &str, quotes: bool) -> Decoded {
    assert!(text.len() < u32::MAX as usize, "decoded in slices of {SLICE} bytes");
    let mut decoded = Decoded { bytes: Vec::with_capacity(text.len()), from: Vec::with_capacity(text.len()) };
    let mut at = 0;
    while at < text.len() {
        let (length, unit) = unit(text, at, quotes);
        let span = (at as u32, (at + length) as u32);
        match unit {
            Unit::Same => {
                decoded.bytes.extend_from_slice(&text.as_bytes()[at..at + length]);
                decoded.from.extend(std::iter::repeat_n(span, length));
            }
            Unit::Char(c) if is_format(c) => {}
            Unit::Char(c) => {
                let mut buffer = [0u8; 4];
                let encoded = c.encode_utf8(&mut buffer).as_bytes();
                decoded.bytes.extend_from_slice(encoded);
                decoded.from.extend(std::iter::repeat_n(span, encoded.len()));
            }
            Unit::Byte(byte) => {
                decoded.bytes.push(byte);
                decoded.from.push(span);
            }
        }
        at += length;
    }
    decoded
}

enum Unit {
    /// Kept as it is.
    Same,
    Char(char),
    /// A percent-encoded byte that is no whole character.
    Byte(u8),
}

/// The escape (`\u…`, `%XX`, `&…;`) that `at` falls strictly inside, as its
/// span: a mask must replace an escape whole, or it leaves half of one (a
/// broken `\u00…` in JSON).
pub(super) fn escape_around(text: &str, at: usize) -> Option<(usize, usize)> {
    (at.saturating_sub(40)..at).filter(|start| matches!(text.as_bytes()[*start], b'\\' | b'%' | b'&')).find_map(
        |start| match unit(text, start, true) {
            (length, Unit::Char(_) | Unit::Byte(_)) if start + length > at => Some((start, start + length)),
            _ => None,
        },
    )
}

/// The unit of `text` at `at`: its length in bytes and what it decodes to.
fn unit(text: &str, at: usize, quotes: bool) -> (usize, Unit) {
    let bytes = text.as_bytes();
    let decoded = match bytes[at] {
        b'\\' => backslash(bytes, at, quotes),
        b'%' => percent(bytes, at),
        b'&' => reference(bytes, at),
        byte if byte >= 0x80 => {
            let c = text[at..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            return (c.len_utf8(), if is_format(c) { Unit::Char(c) } else { Unit::Same });
        }
        _ => None,
    };
    decoded.unwrap_or((1, Unit::Same))
}

fn hex_value(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(bytes).ok()?, 16).ok()
}

fn char_or_replacement(value: u32) -> char {
    char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// `\uXXXX` (with surrogate pairs), `\u{X…}`, `\xXX` — also escaped again
/// (`\\u005f`: JSON in JSON); with `quotes`, `\\`, `\"`, `\/` and `\'`.
fn backslash(bytes: &[u8], at: usize, quotes: bool) -> Option<(usize, Unit)> {
    let slashes = bytes[at..].iter().take(8).take_while(|byte| **byte == b'\\').count();
    if slashes > 1
        && matches!(bytes.get(at + slashes), Some(b'u' | b'x'))
        && let Some((length, unit)) = backslash(bytes, at + slashes - 1, false)
    {
        return Some((length + slashes - 1, unit));
    }
    let next = *bytes.get(at + 1)?;
    match next {
        b'u' if bytes.get(at + 2) == Some(&b'{') => {
            let digits = bytes[at + 3..].iter().take(7).position(|byte| *byte == b'}')?;
            let value = hex_value(&bytes[at + 3..at + 3 + digits])?;
            Some((digits + 4, Unit::Char(char_or_replacement(value))))
        }
        b'u' => {
            let high = hex_value(bytes.get(at + 2..at + 6)?)?;
            if (0xD800..0xDC00).contains(&high)
                && bytes.get(at + 6..at + 8) == Some(b"\\u")
                && let Some(low) = bytes.get(at + 8..at + 12).and_then(hex_value)
                && (0xDC00..0xE000).contains(&low)
            {
                let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return Some((12, Unit::Char(char_or_replacement(value))));
            }
            Some((6, Unit::Char(char_or_replacement(high))))
        }
        b'x' => {
            let value = hex_value(bytes.get(at + 2..at + 4)?)?;
            Some((4, Unit::Char(char_or_replacement(value))))
        }
        b'\\' | b'"' | b'/' | b'\'' if quotes => Some((2, Unit::Char(next as char))),
        _ => None,
    }
}

/// `%XX`; a run of them that spells one UTF-8 character decodes to it.
fn percent(bytes: &[u8], at: usize) -> Option<(usize, Unit)> {
    let byte_at = |at: usize| bytes.get(at + 1..at + 3).and_then(hex_value).map(|value| value as u8);
    let first = byte_at(at)?;
    let length = match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return Some((3, Unit::Byte(first))),
    };
    let mut sequence = vec![first];
    for index in 1..length {
        let at = at + 3 * index;
        match (bytes.get(at), byte_at(at)) {
            (Some(b'%'), Some(byte)) if byte & 0xC0 == 0x80 => sequence.push(byte),
            _ => return Some((3, Unit::Byte(first))),
        }
    }
    match std::str::from_utf8(&sequence).ok().and_then(|text| text.chars().next()) {
        Some(c) => Some((3 * length, Unit::Char(c))),
        None => Some((3, Unit::Byte(first))),
    }
}

/// `&#DDD;`, `&#xHHH;` (the `;` optional, as browsers read them) and the
/// named references for ASCII punctuation and invisible characters.
fn reference(bytes: &[u8], at: usize) -> Option<(usize, Unit)> {
    let rest = &bytes[at + 1..];
    if rest.first() == Some(&b'#') {
        let (radix, digits_at) = if matches!(rest.get(1), Some(b'x' | b'X')) { (16, 2) } else { (10, 1) };
        let digits = rest[digits_at..]
            .iter()
            .take(8)
            .take_while(|byte| if radix == 16 { byte.is_ascii_hexdigit() } else { byte.is_ascii_digit() })
            .count();
        if digits == 0 {
            return None;
        }
        let text = std::str::from_utf8(&rest[digits_at..digits_at + digits]).ok()?;
        let value = u32::from_str_radix(text, radix).ok()?;
        let semicolon = usize::from(rest.get(digits_at + digits) == Some(&b';'));
        return Some((1 + digits_at + digits + semicolon, Unit::Char(char_or_replacement(value))));
    }
    let name = rest.iter().take(32).take_while(|byte| byte.is_ascii_alphanumeric()).count();
    if name == 0 || rest.get(name) != Some(&b';') {
        return None;
    }
    let name = std::str::from_utf8(&rest[..name]).ok()?;
    let c = NAMED.iter().find(|(known, _)| *known == name)?.1;
    Some((name.len() + 2, Unit::Char(c)))
}

/// HTML's named references that spell a character a token can hold (ASCII
/// punctuation) or one that is not seen (removed with the format characters).
const NAMED: &[(&str, char)] = &[
    ("excl", '!'),
    ("quot", '"'),
    ("QUOT", '"'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("amp", '&'),
    ("AMP", '&'),
    ("apos", '\''),
    ("lpar", '('),
    ("rpar", ')'),
    ("ast", '*'),
    ("midast", '*'),
    ("plus", '+'),
    ("comma", ','),
    ("period", '.'),
    ("sol", '/'),
    ("colon", ':'),
    ("semi", ';'),
    ("lt", '<'),
    ("LT", '<'),
    ("equals", '='),
    ("gt", '>'),
    ("GT", '>'),
    ("quest", '?'),
    ("commat", '@'),
    ("lsqb", '['),
    ("lbrack", '['),
    ("bsol", '\\'),
    ("rsqb", ']'),
    ("rbrack", ']'),
    ("Hat", '^'),
    ("lowbar", '_'),
    ("UnderBar", '_'),
    ("grave", '`'),
    ("DiacriticalGrave", '`'),
    ("lcub", '{'),
    ("lbrace", '{'),
    ("verbar", '|'),
    ("vert", '|'),
    ("VerticalLine", '|'),
    ("rcub", '}'),
    ("rbrace", '}'),
    ("Tab", '\t'),
    ("NewLine", '\n'),
    ("shy", '\u{AD}'),
    ("ZeroWidthSpace", '\u{200B}'),
    ("NegativeVeryThinSpace", '\u{200B}'),
    ("NegativeThinSpace", '\u{200B}'),
    ("NegativeMediumSpace", '\u{200B}'),
    ("NegativeThickSpace", '\u{200B}'),
    ("zwnj", '\u{200C}'),
    ("zwj", '\u{200D}'),
    ("lrm", '\u{200E}'),
    ("rlm", '\u{200F}'),
    ("NoBreak", '\u{2060}'),
    ("af", '\u{2061}'),
    ("ApplyFunction", '\u{2061}'),
    ("it", '\u{2062}'),
    ("InvisibleTimes", '\u{2062}'),
    ("ic", '\u{2063}'),
    ("InvisibleComma", '\u{2063}'),
];

/// Unicode's format characters (general category Cf, Unicode 15): not
/// seen, so a secret with them inserted reads as the secret.
pub fn is_format(c: char) -> bool {
    matches!(
        c as u32,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> String {
        String::from_utf8_lossy(&decode(text, true).bytes).into_owned()
    }

    #[test]
    fn every_disguise_comes_off() {
        assert_eq!(decoded("a\u{200B}b\u{FEFF}c\u{AD}d\u{E0041}e"), "abcde");
        assert_eq!(decoded(r"x\u005fy\u005Fz\u{5f}w\x5f"), "x_y_z_w_");
        assert_eq!(decoded(r"\ud83d\ude00 \u200b!"), "😀 !");
        assert_eq!(
            decoded("a&#95;b&#x5f;c&#X5F;d&lowbar;e&UnderBar;f&#95g&#8203;h&ZeroWidthSpace;i"),
            "a_b_c_d_e_f_ghi"
        );
        assert_eq!(decoded("a%5fb%5Fc%E2%80%8Bd%zz%"), "a_b_cd%zz%");
        assert_eq!(decoded(r#"\"q\" \\ \/"#), r#""q" \ /"#);
        assert_eq!(decoded(r"a\\u005fb\\\\x5fc"), "a_b_c");
        assert_eq!(decoded("&unknown; &#; & %4 \\q"), "&unknown; &#; & %4 \\q");
    }

    #[test]
    fn a_decoded_span_maps_to_whole_escapes() {
        let text = r"ab\u0063d%65f";
        let decoded = decode(text, false);
        assert_eq!(decoded.bytes, b"abcdef");
        assert_eq!(decoded.original(2, 3), (2, 8));
        assert_eq!(decoded.original(1, 5), (1, 12));
    }

    #[test]
    fn the_escape_around_a_position() {
        let text = r"ab\u0063d%65f&#95;";
        assert_eq!(escape_around(text, 4), Some((2, 8)));
        assert_eq!(escape_around(text, 2), None, "at its start is not inside");
        assert_eq!(escape_around(text, 10), Some((9, 12)));
        assert_eq!(escape_around(text, 15), Some((13, 18)));
        assert_eq!(escape_around(text, 1), None);
    }

    #[test]
    fn only_text_with_a_disguise_is_decoded() {
        assert!(!needed(r#"{"payload":"{\"messageId\":\"m1\"}"}"#, false));
        assert!(needed(r#"{"payload":"{\"messageId\":\"m1\"}"}"#, true));
        assert!(!needed("50 % & co, 你好", false));
        for text in [r"\u0041", r"\x41", "%41", "&#65;", "&lowbar;", "a\u{200B}b"] {
            assert!(needed(text, false), "{text}");
        }
    }
}
