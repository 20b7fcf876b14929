//! What [`super::redact`] looks for, worked out once per token: the token
//! itself, and every run of 8 characters of its secret (the part after its
//! last `_`) as it is, in hex and in base64 (standard and URL-safe, at each
//! of the 3 byte alignments) — all in one Aho-Corasick automaton, matched
//! ignoring ASCII case, so a text is read once whatever the number of forms.
//!
//! Pieces: a secret told in parts (`BravoSe` here, `cret222` there, each under
//! 8 characters) is no less told. A word made wholly of pieces of a secret of
//! [`PIECE`] characters or more (as they are, ignoring ASCII case, or in hex)
//! shows them; the characters such words have shown are remembered per token
//! ([`Forms::seen`]), and the pieces of a text that would bring them to
//! [`RUN`] or more are masked — so at most 7 characters of a secret are ever
//! shown, in one run or in several. A piece of 4 is found by an automaton of
//! its own; the word around it is then read whole: a piece inside a longer
//! word (`mock` in `mock-msg-35`) is no piece, nor is a number (`"at_ms": 4821`
//! masked would break JSON, and numbers are everywhere).

use std::ops::Range;
use std::sync::{Arc, Mutex};

use aho_corasick::AhoCorasick;
use base64::Engine;

/// The shortest run of a secret that is masked; a shorter secret is masked
/// whole, where it stands alone.
pub(super) const RUN: usize = 8;
/// The shortest secret masked apart from its token.
const SHORTEST: usize = 4;
/// The shortest piece of a secret counted as one, in bytes (a shorter one
/// is too common in other text to say anything).
pub(super) const PIECE: usize = 4;

/// The needles of some tokens.
pub(super) struct Needles {
    pub tokens: Vec<Arc<Forms>>,
    automaton: AhoCorasick,
    /// Per pattern of the automaton.
    kinds: Vec<Kind>,
    /// Per token: what a match of the whole token becomes.
    masks: Vec<String>,
    /// The longest word that can be made of a secret's pieces (hex, twice the longest secret told in pieces).
    longest_piece_word: usize,
    /// Every [`PIECE`] of the secrets told in pieces, as it is and in hex: where a word of pieces may be (`None`:
    /// no token's secret is told in pieces).
    piece_starts: Option<AhoCorasick>,
}

/// One token's needles, worked out once (automata are merged as tokens
/// come: their needles are not worked out again).
pub(super) struct Forms {
    pub token: String,
    needles: Vec<(Vec<u8>, Role)>,
    mask: String,
    /// The secret, ASCII lower-cased, when it is long enough to be told in pieces (8 characters or more).
    lower: Option<Vec<u8>>,
    /// Its pieces of [`PIECE`] bytes, as they are and in hex (of the secret as it is: hex keeps case).
    piece_forms: Vec<Vec<u8>>,
    /// Which bytes of the secret words made of its pieces have shown so far (one flag per byte).
    seen: Mutex<Vec<bool>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Role {
    /// The whole token (masked with its [`super::mask`]), not a run of its secret.
    whole: bool,
    /// Matched only where it stands alone: a token or secret under 8
    /// characters (`x`, `e`) also occurs inside other words.
    standalone: bool,
}

#[derive(Debug, Clone, Copy)]
struct Kind {
    token: usize,
    role: Role,
}

/// A piece of a token's secret found in a word made of such pieces: where, in the original text, and which
/// bytes of the secret it shows.
pub(super) struct Piece {
    /// The token's index in its [`Needles`].
    pub token: usize,
    pub start: usize,
    pub end: usize,
    pub secret: Range<usize>,
}

/// Where a needle was found in the original text, and what replaces it
/// (`None`: the plain mark of a masked run).
pub(super) struct Found<'a> {
    pub start: usize,
    pub end: usize,
    pub mask: Option<&'a str>,
}

impl Forms {
    pub fn new(token: &str) -> Arc<Forms> {
        let mut needles = Vec::new();
        let short = token.chars().count() < RUN;
        needles.push((token.as_bytes().to_vec(), Role { whole: true, standalone: short }));
        let secret = super::secret_of(token);
        let starts: Vec<usize> = secret.char_indices().map(|(at, _)| at).chain([secret.len()]).collect();
        let chars = starts.len() - 1;
        if chars < RUN {
            // Under 4 characters (`a_b`, `flag_token_1`) a secret is no secret,
            // and masking it would mask every `b` or `1` that stands alone.
            if secret.len() < token.len() && chars >= SHORTEST {
                needles.push((secret.as_bytes().to_vec(), Role { whole: false, standalone: true }));
            }
        } else {
            let run = Role { whole: false, standalone: false };
            for first in 0..=chars - RUN {
                let window = &secret.as_bytes()[starts[first]..starts[first + RUN]];
                needles.push((window.to_vec(), run));
                needles.push((hex(window), run));
                for alignment in 0..3 {
                    let stable = base64_stable(window, alignment);
                    let url_safe: Vec<u8> = stable
                        .iter()
                        .map(|byte| match byte {
                            b'+' => b'-',
                            b'/' => b'_',
                            other => *other,
                        })
                        .collect();
                    if url_safe != stable {
                        needles.push((url_safe, run));
                    }
                    needles.push((stable, run));
                }
            }
        }
        // A mask replaces text inside JSON, XML, Markdown: only characters
        // that mean nothing there.
        let safe = |c: char| if c.is_alphanumeric() || "_-.~…".contains(c) { c } else { '?' };
        let mask = super::mask(token).chars().map(safe).collect();
        let lower = (chars >= RUN).then(|| secret.to_ascii_lowercase().into_bytes());
        let piece_forms = if lower.is_some() {
            secret.as_bytes().windows(PIECE).flat_map(|piece| [piece.to_vec(), hex(piece)]).collect()
        } else {
            Vec::new()
        };
        let seen = Mutex::new(vec![false; secret.len()]);
        Arc::new(Forms { token: token.to_owned(), needles, mask, lower, piece_forms, seen })
    }

    /// `word` (ASCII lower-cased) as pieces of the secret, each [`PIECE`] bytes or more, left to right, each
    /// the longest that fits: their spans in `word` and in the secret; `None` when it is not made of them.
    fn pieces_of(&self, word: &[u8]) -> Option<Vec<(Range<usize>, Range<usize>)>> {
        let secret = self.lower.as_deref()?;
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < word.len() {
            let rest = &word[at..];
            let (from, length) = (0..secret.len())
                .map(|from| (from, secret[from..].iter().zip(rest).take_while(|(a, b)| a == b).count()))
                .max_by_key(|(_, length)| *length)?;
            if length < PIECE {
                return None;
            }
            pieces.push((at..at + length, from..from + length));
            at += length;
        }
        Some(pieces)
    }

    /// Whether the pieces of the secret in `shown` (byte ranges), with those shown before, would show
    /// [`RUN`] characters or more: then they are masked; else they are shown, and remembered.
    pub fn too_much(&self, shown: &[Range<usize>]) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut would = seen.clone();
        for at in shown.iter().flat_map(Clone::clone) {
            if let Some(flag) = would.get_mut(at) {
                *flag = true;
            }
        }
        let too_much = would.iter().filter(|flag| **flag).count() >= RUN;
        if !too_much {
            *seen = would;
        }
        too_much
    }
}

impl Needles {
    pub fn new(tokens: Vec<Arc<Forms>>) -> Needles {
        let mut patterns: Vec<&[u8]> = Vec::new();
        let mut kinds = Vec::new();
        for (token, forms) in tokens.iter().enumerate() {
            for (needle, role) in &forms.needles {
                patterns.push(needle);
                kinds.push(Kind { token, role: *role });
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .expect("the needles of a few tokens fit an automaton");
        let masks = tokens.iter().map(|forms| forms.mask.clone()).collect();
        let secrets: Vec<&[u8]> = tokens.iter().filter_map(|forms| forms.lower.as_deref()).collect();
        let longest_piece_word = 2 * secrets.iter().map(|secret| secret.len()).max().unwrap_or(0);
        let mut starts: Vec<&[u8]> =
            tokens.iter().flat_map(|forms| forms.piece_forms.iter().map(Vec::as_slice)).collect();
        starts.sort_unstable();
        starts.dedup();
        let piece_starts = (!starts.is_empty()).then(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(&starts)
                .expect("the pieces of a few secrets fit an automaton")
        });
        Needles { tokens, automaton, kinds, masks, longest_piece_word, piece_starts }
    }

    /// Pushes to `found` every needle in `haystack` (all of them, also where
    /// they overlap), its span mapped to the original text by `original`, and
    /// to `pieces` the pieces of a secret in each word made wholly of them
    /// (`cret222` alone, `cret222BravoSe`, or such a word in hex).
    pub fn find<'a>(
        &'a self,
        haystack: &[u8],
        original: impl Fn(usize, usize) -> (usize, usize),
        found: &mut Vec<Found<'a>>,
        pieces: &mut Vec<Piece>,
    ) {
        self.find_pieces(haystack, &original, pieces);
        // The common case, first and fast: nothing to mask.
        if !self.automaton.is_match(haystack) {
            return;
        }
        for matched in self.automaton.find_overlapping_iter(haystack) {
            let Kind { token, role } = self.kinds[matched.pattern().as_usize()];
            if role.standalone && !standalone(haystack, matched.start(), matched.end()) {
                continue;
            }
            let (start, end) = original(matched.start(), matched.end());
            found.push(Found { start, end, mask: role.whole.then(|| self.masks[token].as_str()) });
        }
    }

    /// Every word of `haystack` that holds a [`PIECE`] of a secret, read as pieces of each secret, as it is and,
    /// when it is hex, decoded.
    fn find_pieces(
        &self,
        haystack: &[u8],
        original: &impl Fn(usize, usize) -> (usize, usize),
        pieces: &mut Vec<Piece>,
    ) {
        let Some(automaton) = &self.piece_starts else { return };
        let mut at = 0;
        // Only the words where a piece of 4 is (found fast, as runs are) are read.
        while let Some(hit) = automaton.find(aho_corasick::Input::new(haystack).span(at..haystack.len())) {
            let (mut start, mut end) = word_around(haystack, hit.start(), hit.end());
            at = end.max(hit.end());
            // Punctuation a word may hold (`.`, `-`) that ends a sentence or starts a flag is no part of it here.
            let edge = |byte: &u8| b"_-.~%".contains(byte);
            while start < end && edge(&haystack[start]) {
                start += 1;
            }
            while end > start && edge(&haystack[end - 1]) {
                end -= 1;
            }
            let word = &haystack[start..end];
            // A word of pieces is no longer than its secret twice over (hex), and begins with a byte of it.
            if word.len() < PIECE || word.len() > self.longest_piece_word {
                continue;
            }
            // A number is no piece: times, counts and sizes are numbers everywhere, and one masked breaks JSON
            // (the hex of letters may be all digits: read as hex, it still counts).
            let number = word.iter().all(u8::is_ascii_digit);
            let lower = word.to_ascii_lowercase();
            let hex =
                (word.len() >= 2 * PIECE && word.len().is_multiple_of(2) && word.iter().all(u8::is_ascii_hexdigit))
                    .then(|| unhex(&lower).to_ascii_lowercase());
            for (token, forms) in self.tokens.iter().enumerate() {
                // In the word: bytes of it; in hex, two digits a byte.
                let plain = if number { None } else { forms.pieces_of(&lower) };
                let hex = hex.as_deref().filter(|hex| !hex.iter().all(u8::is_ascii_digit));
                let (told, scale) = match (plain, hex.and_then(|hex| forms.pieces_of(hex))) {
                    (Some(told), _) => (told, 1),
                    (None, Some(told)) => (told, 2),
                    (None, None) => continue,
                };
                for (in_word, secret) in told {
                    let (first, last) = original(start + scale * in_word.start, start + scale * in_word.end);
                    pieces.push(Piece { token, start: first, end: last, secret });
                }
            }
        }
    }

    /// The pieces of `token` (its index) found in a text, masked when they show too much of its secret
    /// (see [`Forms::too_much`]).
    pub fn judge_pieces<'a>(&'a self, token: usize, pieces: &[&Piece], found: &mut Vec<Found<'a>>) {
        let shown: Vec<Range<usize>> = pieces.iter().map(|piece| piece.secret.clone()).collect();
        if self.tokens[token].too_much(&shown) {
            found.extend(pieces.iter().map(|piece| Found { start: piece.start, end: piece.end, mask: None }));
        }
    }
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|byte| [DIGITS[usize::from(byte >> 4)], DIGITS[usize::from(byte & 15)]]).collect()
}

/// The base64 characters that depend on `bytes` alone when they follow
/// `alignment` (0–2) other bytes of the encoded data: wherever `bytes` sit
/// in base64 text at that alignment, these characters are there.
fn base64_stable(bytes: &[u8], alignment: usize) -> Vec<u8> {
    let mut data = vec![0u8; alignment];
    data.extend_from_slice(bytes);
    let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&data).into_bytes();
    let (first_bit, end_bit) = (8 * alignment, 8 * (alignment + bytes.len()));
    let first = first_bit.div_ceil(6);
    let end = end_bit / 6;
    encoded[first..end].to_vec()
}

/// The word (characters for which [`in_word`] holds) around `haystack[start..end]`: its span.
fn word_around(haystack: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    let char_before = |at: usize| -> Option<(char, usize)> {
        (1..=4.min(at)).find_map(|length| {
            let text = std::str::from_utf8(&haystack[at - length..at]).ok()?;
            text.chars().next_back().filter(|c| c.len_utf8() == length).map(|c| (c, length))
        })
    };
    let char_after = |at: usize| -> Option<(char, usize)> {
        (1..=4.min(haystack.len().saturating_sub(at))).find_map(|length| {
            let text = std::str::from_utf8(&haystack[at..at + length]).ok()?;
            text.chars().next().map(|c| (c, length))
        })
    };
    while let Some((c, length)) = char_before(start)
        && in_word(c)
    {
        start -= length;
    }
    while let Some((c, length)) = char_after(end)
        && in_word(c)
    {
        end += length;
    }
    (start, end)
}

/// Hex digits (an even number of them) as the bytes they spell.
fn unhex(digits: &[u8]) -> Vec<u8> {
    let value = |digit: u8| (char::from(digit).to_digit(16).unwrap_or(0)) as u8;
    digits.chunks_exact(2).map(|pair| (value(pair[0]) << 4) | value(pair[1])).collect()
}

/// Characters a token is made of: a token next to one of them is part of a
/// longer word.
fn in_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '~' | '%')
}

/// Whether `haystack[start..end]` has no word character on either side.
fn standalone(haystack: &[u8], start: usize, end: usize) -> bool {
    let before = (start.saturating_sub(4)..start)
        .find_map(|from| std::str::from_utf8(&haystack[from..start]).ok().and_then(|text| text.chars().next_back()));
    let after = (end + 1..=(end + 4).min(haystack.len()))
        .find_map(|to| std::str::from_utf8(&haystack[end..to]).ok().and_then(|text| text.chars().next()));
    !before.is_some_and(in_word) && !after.is_some_and(in_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_needles_are_found_at_every_alignment() {
        let window = b"3f9a0c1e";
        for prefix in [&b""[..], b"x", b"xy", b"xyz"] {
            for suffix in [&b""[..], b"q", b"qr"] {
                let data = [prefix, window, suffix].concat();
                let engine = base64::engine::general_purpose::STANDARD;
                let encoded = engine.encode(&data);
                let found = (0..3)
                    .any(|alignment| encoded.contains(std::str::from_utf8(&base64_stable(window, alignment)).unwrap()));
                assert!(found, "{encoded}");
            }
        }
        assert_eq!(base64_stable(window, 0).len(), 10);
    }

    #[test]
    fn standalone_looks_at_whole_characters() {
        assert!(standalone(b"a x b", 2, 3));
        assert!(!standalone(b"max", 1, 2));
        assert!(standalone("…x…".as_bytes(), 3, 4));
        assert!(!standalone("éxé".as_bytes(), 2, 3));
    }
}
