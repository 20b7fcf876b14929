//! Whether a token's secret can be read from an output, written apart from
//! the crate's redaction (a bug there cannot hide itself here too).
//!
//! A reader of an output sees through its disguises: format characters
//! (zero-width, bidi, soft hyphen) dropped; `\u005f`, `\u{5f}` and `\x5f`
//! escapes (also doubly escaped, as in JSON), HTML references (`&#95;`,
//! `&#x5F;`, `&lowbar;`, `&amp;`…), percent-encoding and Markdown backslash
//! escapes decoded — each of these repeatedly, as an output escaped for its
//! language (HTML of a peer's `&#95;` is `&amp;#95;`) still shows it — and
//! runs of hex and base64 decoded at every alignment. Any run of 8 characters
//! of the secret, ignoring ASCII case, in any of those views is a leak.

use std::collections::HashSet;

/// How many times the decodings are applied one after another.
const DEPTH: usize = 3;

/// Unicode's format characters a reader does not see (general category Cf, the common ones) and the
/// line and paragraph separators.
fn invisible(c: char) -> bool {
    matches!(
        c as u32,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Named HTML references a reader decodes (the ones that spell ASCII).
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("lowbar", '_'),
    ("UnderBar", '_'),
    ("period", '.'),
    ("tilde", '~'),
    ("hyphen", '-'),
    ("dash", '-'),
    ("colon", ':'),
    ("sol", '/'),
    ("num", '#'),
    ("percnt", '%'),
    ("semi", ';'),
    ("bsol", '\\'),
    ("zwj", '\u{200D}'),
    ("zwnj", '\u{200C}'),
    ("ZeroWidthSpace", '\u{200B}'),
    ("shy", '\u{AD}'),
];

/// `text` decoded once: invisible characters dropped, every escape a reader could decode, decoded.
pub fn read_back(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|c| !invisible(*c)).collect();
    let hex = |from: usize, length: usize| -> Option<u32> {
        let digits: String = chars.get(from..from + length)?.iter().collect();
        if digits.chars().all(|c| c.is_ascii_hexdigit()) { u32::from_str_radix(&digits, 16).ok() } else { None }
    };
    let mut out = String::with_capacity(text.len());
    let mut bytes: Vec<u8> = Vec::new();
    let flush = |bytes: &mut Vec<u8>, out: &mut String| {
        if !bytes.is_empty() {
            out.push_str(&String::from_utf8_lossy(bytes));
            bytes.clear();
        }
    };
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c == '%'
            && let Some(byte) = hex(index + 1, 2)
        {
            bytes.push(byte as u8);
            index += 3;
            continue;
        }
        flush(&mut bytes, &mut out);
        let slashes = chars[index..].iter().take_while(|c| **c == '\\').count();
        if slashes > 0 {
            let after = index + slashes;
            match chars.get(after) {
                Some('u') if chars.get(after + 1) == Some(&'{') => {
                    let digits = chars[after + 2..].iter().take(8).take_while(|c| c.is_ascii_hexdigit()).count();
                    if digits > 0 && chars.get(after + 2 + digits) == Some(&'}') {
                        out.push(hex(after + 2, digits).and_then(char::from_u32).unwrap_or('?'));
                        index = after + 3 + digits;
                        continue;
                    }
                }
                Some('u') => {
                    if let Some(unit) = hex(after + 1, 4) {
                        out.push(char::from_u32(unit).unwrap_or('?'));
                        index = after + 5;
                        continue;
                    }
                }
                Some('x') => {
                    if let Some(unit) = hex(after + 1, 2) {
                        out.push(char::from_u32(unit).unwrap_or('?'));
                        index = after + 3;
                        continue;
                    }
                }
                // A Markdown (or JSON) backslash escape of punctuation: the character.
                Some(next) if next.is_ascii_punctuation() => {
                    out.push(*next);
                    index = after + 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            index += 1;
            continue;
        }
        if c == '&' {
            if chars.get(index + 1) == Some(&'#') {
                let (radix, from) =
                    if matches!(chars.get(index + 2), Some('x' | 'X')) { (16, index + 3) } else { (10, index + 2) };
                let digits: String =
                    chars[from.min(chars.len())..].iter().take(8).take_while(|c| c.is_digit(radix)).collect();
                if let Some(decoded) = u32::from_str_radix(&digits, radix).ok().and_then(char::from_u32) {
                    out.push(decoded);
                    index = from + digits.len() + usize::from(chars.get(from + digits.len()) == Some(&';'));
                    continue;
                }
            } else {
                let name: String =
                    chars[index + 1..].iter().take(32).take_while(|c| c.is_ascii_alphanumeric()).collect();
                if chars.get(index + 1 + name.len()) == Some(&';')
                    && let Some((_, decoded)) = NAMED.iter().find(|(known, _)| *known == name)
                {
                    out.push(*decoded);
                    index += name.len() + 2;
                    continue;
                }
            }
        }
        out.push(c);
        index += 1;
    }
    flush(&mut bytes, &mut out);
    out.chars().filter(|c| !invisible(*c)).collect()
}

/// Every maximal run of `alphabet` in `text`, decoded at each alignment.
/// (Runs shorter than 8 encoded bytes, `shortest` characters, are left.)
fn decoded_runs(
    text: &[u8],
    in_alphabet: fn(u8) -> bool,
    decode: fn(&[u8]) -> Vec<u8>,
    width: usize,
    shortest: usize,
) -> Vec<Vec<u8>> {
    let mut decoded = Vec::new();
    for run in text.split(|byte| !in_alphabet(*byte)).filter(|run| run.len() >= shortest) {
        for offset in 0..width.min(run.len()) {
            decoded.push(decode(&run[offset..]));
        }
    }
    decoded
}

fn base64_decode(run: &[u8]) -> Vec<u8> {
    let value = |byte: u8| match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'+' | b'-' => 62,
        _ => 63,
    };
    run.chunks(4)
        .flat_map(|chunk| {
            let bits =
                chunk.iter().fold(0u32, |bits, byte| (bits << 6) | u32::from(value(*byte))) << (6 * (4 - chunk.len()));
            bits.to_be_bytes()[1..1 + chunk.len() * 6 / 8].to_vec()
        })
        .collect()
}

fn hex_decode(run: &[u8]) -> Vec<u8> {
    let digit = |byte: u8| (byte as char).to_digit(16).unwrap_or(0) as u8;
    run.chunks_exact(2).map(|pair| digit(pair[0]) << 4 | digit(pair[1])).collect()
}

/// The secrets looked for: their runs of 8, in one automaton matched ignoring ASCII case.
pub struct Secrets {
    runs: aho_corasick::AhoCorasick,
}

impl Secrets {
    /// The runs of 8 characters of each secret (the part of a token after its last `_`).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Secrets {
        let mut runs = HashSet::new();
        for secret in secrets {
            for window in secret.to_ascii_lowercase().as_bytes().windows(8) {
                runs.insert(window.to_vec());
            }
        }
        let runs = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(runs)
            .expect("a few secrets' runs fit an automaton");
        Secrets { runs }
    }

    fn in_view(&self, view: &[u8]) -> Option<String> {
        self.runs.find(view).map(|found| String::from_utf8_lossy(&view[found.range()]).into_owned())
    }

    /// A run of 8 characters of a secret that a reader of `output` can read, in any of the ways above.
    pub fn readable_in(&self, output: &str) -> Option<String> {
        let mut plain = vec![output.to_owned()];
        for _ in 0..DEPTH {
            let last = plain.last().expect("one");
            if !last.contains(['\\', '&', '%']) && !last.chars().any(invisible) {
                break;
            }
            let next = read_back(last);
            if plain.contains(&next) {
                break;
            }
            plain.push(next);
        }
        for view in &plain {
            let bytes = view.as_bytes();
            if let Some(found) = self.in_view(bytes) {
                return Some(found);
            }
            let alphabet = |byte: u8| byte.is_ascii_alphanumeric() || b"+/-_".contains(&byte);
            for decoded in decoded_runs(bytes, alphabet, base64_decode, 4, 11).into_iter().chain(decoded_runs(
                bytes,
                |byte| byte.is_ascii_hexdigit(),
                hex_decode,
                2,
                16,
            )) {
                if let Some(found) = self.in_view(&decoded) {
                    return Some(found);
                }
            }
        }
        None
    }
}

/// How many characters of `secret` (ASCII) a reader of `output` can gather from words that are pieces of it:
/// every word (letters, digits, `-`) of 4 characters or more found in the secret, ignoring ASCII case, as it is
/// or hex-decoded, marks the characters it covers (each place it occurs), over the whole output. A number is no
/// such word (a report's times and sizes are numbers, some of them made of a secret's digits by chance: the
/// redaction leaves numbers alone, and so does this reader).
pub fn characters_told_in_pieces(output: &str, secret: &str) -> usize {
    let secret = secret.to_ascii_lowercase();
    let mut told = vec![false; secret.len()];
    let mut mark = |word: &str| {
        if word.len() < 4 {
            return;
        }
        for (at, _) in secret.match_indices(word) {
            told[at..at + word.len()].iter_mut().for_each(|flag| *flag = true);
        }
    };
    for word in output.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let word = word.to_ascii_lowercase();
        if word.bytes().all(|byte| byte.is_ascii_digit()) {
            continue;
        }
        mark(&word);
        if word.len() % 2 == 0 && word.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            mark(&String::from_utf8_lossy(&hex_decode(word.as_bytes())).to_ascii_lowercase());
        }
    }
    told.iter().filter(|flag| **flag).count()
}

/// A run of 8 characters of `secret` that a reader of `output` can read (see [`Secrets::readable_in`]).
pub fn a_run_of_the_secret(output: &str, secret: &str) -> Option<String> {
    Secrets::new([secret]).readable_in(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_disguise_is_read() {
        let secret = "3f9a0c1e-77b2";
        for shown in [
            "3F9A0C1E",
            "3f9a\u{200B}0c1e",
            "&#51;&#x66;9a0c1e",
            "&amp;#51;&amp;#x66;9a0c1e",
            "\\\\u0033f9a0c1e",
            "\\u{33}f9a0c1e",
            "%33f9a0c1e",
            "3f9a0c1e\\-77b2",
            "hex 33663961306331652d373762",
            "b64 M2Y5YTBjMWUtNzdi",
        ] {
            assert!(a_run_of_the_secret(shown, secret).is_some(), "{shown}");
        }
        assert!(a_run_of_the_secret("3f9a0c1 e", secret).is_none());
    }
}
