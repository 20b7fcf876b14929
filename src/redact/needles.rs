//! What [`super::redact`] looks for, worked out once per token: the token
//! itself, every run of 8 characters of its secret (the part after its
//! last `_`) as it is, in hex and in base64 (standard and URL-safe, at each
//! of the 3 byte alignments), and every run of 4 (a [`PIECE`]) as it is and in
//! hex — all in one Aho-Corasick automaton, matched ignoring ASCII case, so a
//! text is read once whatever the number of forms.
//!
//! Pieces: a secret told in parts (`BravoSe` here, `cret222` there, each under
//! 8 characters) is no less told. The characters of a secret that words made
//! wholly of its pieces have shown are remembered per token ([`Forms::seen`]);
//! the pieces of a text that would bring them to [`RUN`] or more are masked —
//! so at most 7 characters of a secret are ever shown, in one run or in
//! several.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use aho_corasick::AhoCorasick;
use base64::Engine;

/// The shortest run of a secret that is masked; a shorter secret is masked
/// whole, where it stands alone.
pub(super) const RUN: usize = 8;
/// The shortest secret masked apart from its token.
const SHORTEST: usize = 4;
/// The shortest piece of a secret counted as one (a shorter one is too
/// common in other text to say anything).
pub(super) const PIECE: usize = 4;

/// The needles of some tokens.
pub(super) struct Needles {
    pub tokens: Vec<Arc<Forms>>,
    automaton: AhoCorasick,
    /// Per pattern of the automaton.
    kinds: Vec<Kind>,
    /// Per token: what a match of the whole token becomes.
    masks: Vec<String>,
}

/// One token's needles, worked out once (automata are merged as tokens
/// come: their needles are not worked out again).
pub(super) struct Forms {
    pub token: String,
    needles: Vec<(Vec<u8>, Role)>,
    mask: String,
    /// Which characters of the secret words made of its pieces have shown so far (one flag per character).
    seen: Mutex<Vec<bool>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Role {
    /// The whole token (masked with its [`super::mask`]), not a run of its secret.
    whole: bool,
    /// Matched only where it stands alone: a token or secret under 8
    /// characters (`x`, `e`) also occurs inside other words.
    standalone: bool,
    /// A [`PIECE`] of the secret from this character on, not a run: it counts only inside a word made of
    /// pieces, and is masked only once enough of the secret has shown ([`Forms::seen`]).
    piece: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Kind {
    token: usize,
    role: Role,
}

/// A piece of a token's secret found in a word made of such pieces: where, in the original text, and which
/// characters of the secret it shows.
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
        needles.push((token.as_bytes().to_vec(), Role { whole: true, standalone: short, piece: None }));
        let secret = super::secret_of(token);
        let starts: Vec<usize> = secret.char_indices().map(|(at, _)| at).chain([secret.len()]).collect();
        let chars = starts.len() - 1;
        if chars < RUN {
            // Under 4 characters (`a_b`, `flag_token_1`) a secret is no secret,
            // and masking it would mask every `b` or `1` that stands alone.
            if secret.len() < token.len() && chars >= SHORTEST {
                needles.push((secret.as_bytes().to_vec(), Role { whole: false, standalone: true, piece: None }));
            }
        } else {
            for first in 0..=chars - PIECE {
                let piece = &secret.as_bytes()[starts[first]..starts[first + PIECE]];
                let role = Role { whole: false, standalone: false, piece: Some(first) };
                needles.push((piece.to_vec(), role));
                needles.push((hex(piece), role));
            }
            let run = Role { whole: false, standalone: false, piece: None };
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
        let seen = Mutex::new(vec![false; chars]);
        Arc::new(Forms { token: token.to_owned(), needles, mask, seen })
    }

    /// Whether the pieces of the secret in `shown` (character ranges), with those shown before, would show
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
        Needles { tokens, automaton, kinds, masks }
    }

    /// Pushes to `found` every needle in `haystack` (all of them, also where
    /// they overlap), its span mapped to the original text by `original`.
    ///
    /// Pieces go to `pieces`, only those inside a word made wholly of pieces of one secret (`cret222` alone,
    /// or `cret222BravoSe`; not the `mock` of `mock-msg-35`).
    pub fn find<'a>(
        &'a self,
        haystack: &[u8],
        original: impl Fn(usize, usize) -> (usize, usize),
        found: &mut Vec<Found<'a>>,
        pieces: &mut Vec<Piece>,
    ) {
        // The common case, first and fast: nothing to mask.
        if !self.automaton.is_match(haystack) {
            return;
        }
        // (token, start, end, first character of the secret) in `haystack`.
        let mut hits: Vec<(usize, usize, usize, usize)> = Vec::new();
        for matched in self.automaton.find_overlapping_iter(haystack) {
            let Kind { token, role } = self.kinds[matched.pattern().as_usize()];
            if let Some(first) = role.piece {
                hits.push((token, matched.start(), matched.end(), first));
                continue;
            }
            if role.standalone && !standalone(haystack, matched.start(), matched.end()) {
                continue;
            }
            let (start, end) = original(matched.start(), matched.end());
            found.push(Found { start, end, mask: role.whole.then(|| self.masks[token].as_str()) });
        }
        if hits.is_empty() {
            return;
        }
        hits.sort_unstable();
        // The hits of one token that overlap or touch make a span; a span that is a whole word is pieces.
        let mut rest = hits.as_slice();
        while let Some(&(token, start, mut end, _)) = rest.first() {
            let mut taken = 1;
            while let Some(&(next, next_start, next_end, _)) = rest.get(taken)
                && next == token
                && next_start <= end
            {
                end = end.max(next_end);
                taken += 1;
            }
            let (span, after) = rest.split_at(taken);
            rest = after;
            if !standalone(haystack, start, end) {
                continue;
            }
            for &(token, start, end, first) in span {
                let (start, end) = original(start, end);
                pieces.push(Piece { token, start, end, secret: first..first + PIECE });
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
