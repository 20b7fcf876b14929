//! Tokens never leave puppet-lint in full.
//!
//! Every token puppet-lint learns (from flags, the environment, a suite or the
//! invalid token it makes up for the auth check) is registered here, and every
//! sink — terminal, reports, error messages — passes its text through
//! [`redact`]. Servers echo tokens back (in UNAUTHENTICATED details, in
//! metadata), so redacting at the sinks, not at the sources, is what holds.
//!
//! What is hidden follows the secret, the part of a token after its last `_`
//! (the server name before it is public): a service that echoes only that
//! part, or 8 characters of it, or encodes it (base64, hex, `\u005f`, an
//! HTML reference, a zero-width space inserted), or tells it in pieces (halves
//! in two events), shows it no more than one that echoes the token whole.

use std::borrow::Cow;
use std::sync::{Mutex, RwLock};

mod decode;
mod needles;

pub use decode::is_format;
use needles::{Forms, Found, Needles, Piece};

/// The registered tokens, in a few automata: a new token gets one of its
/// own, merged with the newest ones while they are no larger (so `n` tokens
/// make at most log₂ `n` automata, and registering stays cheap however many
/// tokens a process learns).
static SECRETS: RwLock<Secrets> = RwLock::new(Secrets { levels: Vec::new(), quotes: false });

struct Secrets {
    levels: Vec<Needles>,
    /// A token holds `"`, `\`, `/` or `'`: those JSON escapes are decoded too.
    quotes: bool,
}

/// Registrations one at a time, so that an automaton is built outside the
/// lock every redaction reads (a merge of many tokens takes a while).
static REGISTERING: Mutex<()> = Mutex::new(());

/// Remember `secret` so that [`redact`] hides it from now on.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let _registering = REGISTERING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (tokens, merged) = {
        let secrets = SECRETS.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if secrets.levels.iter().any(|level| level.tokens.iter().any(|known| known.token == secret)) {
            return;
        }
        let mut tokens = vec![Forms::new(secret)];
        let mut merged = 0;
        for newest in secrets.levels.iter().rev() {
            if newest.tokens.len() > tokens.len() {
                break;
            }
            tokens.extend(newest.tokens.iter().cloned());
            merged += 1;
        }
        (tokens, merged)
    };
    let needles = Needles::new(tokens);
    let mut secrets = SECRETS.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    let kept = secrets.levels.len() - merged;
    secrets.levels.truncate(kept);
    secrets.levels.push(needles);
    secrets.quotes |= secret.contains(['"', '\\', '/', '\'']);
}

/// The secret part of a token: after its last `_` (the server name before
/// it is public), or the whole token when nothing follows a `_`.
fn secret_of(token: &str) -> &str {
    match token.rfind('_') {
        Some(cut) if cut + 1 < token.len() => &token[cut + 1..],
        _ => token,
    }
}

/// The shown form of a token: its server-name prefix (public: it names the
/// provider) and two characters of the secret part, never the whole.
///
/// `puppet_padlocal_3f9a…` → `puppet_padlocal_3f…`, `abcdefgh12345` → `ab…`.
pub fn mask(token: &str) -> String {
    let secret = secret_of(token);
    let prefix = &token[..token.len() - secret.len()];
    let shown: String = if secret.chars().count() >= 8 { secret.chars().take(2).collect() } else { String::new() };
    format!("{prefix}{shown}…")
}

/// What a masked run of a secret (not a whole token) becomes.
const RUN_MASK: &str = "…";

/// `text` with every registered token replaced by its [`mask`], and every
/// run of 8 or more characters of a token's secret (a shorter secret: the
/// whole of it, where it stands alone, if it has 4 characters or more)
/// replaced by `…`, and every word made of pieces of a secret (4 characters
/// or more each) that would bring what such words have shown of it, here and
/// in earlier texts, to 8 characters (a secret told in halves) — as it is, in any
/// ASCII case, in hex or base64, and once format characters are removed and
/// `\u` escapes, HTML references and percent-encoding decoded.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    if secrets.levels.is_empty() || text.is_empty() {
        return Cow::Borrowed(text);
    }
    let Some(mut out) = redact_once(&secrets, text) else {
        return Cow::Borrowed(text);
    };
    // A mask shows a token's server name and two characters: where one token
    // begins another (`a_b` and `a_b_c`), the mask of one shows the other.
    for _ in 0..4 {
        match redact_once(&secrets, &out) {
            Some(again) => out = again,
            None => break,
        }
    }
    Cow::Owned(out)
}

/// Whether `text` — a short text a third party chose, such as a discovery service's error body — tells 8
/// characters of a registered secret (all of a shorter one) when read loosely: letters and digits alone (spaced,
/// dotted into groups), forwards or reversed, and each word decoded from base64, base32 or hex — in pieces of 4 or
/// more, wherever they stand. Such a text is not shown at all: [`redact`] masks what a text shows as it is, not
/// every way a peer that knows the token can spell it. Loose on purpose (a false alarm hides a diagnostic, no more);
/// for texts of a few KiB, not for every output.
pub fn tells_a_secret(text: &str) -> bool {
    let loose = |bytes: &[u8]| -> Vec<u8> {
        bytes.iter().filter(|byte| byte.is_ascii_alphanumeric()).map(u8::to_ascii_lowercase).collect()
    };
    let mut views = vec![loose(text.as_bytes())];
    let encoded = |c: char| c.is_ascii_alphanumeric() || "+/=_-".contains(c);
    for word in text.split(|c: char| !encoded(c)).filter(|word| word.len() >= 6) {
        use base64::Engine as _;
        let bare = word.trim_end_matches('=');
        let decoded = [
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(bare).ok(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(bare).ok(),
            data_encoding::BASE32_NOPAD.decode(bare.to_ascii_uppercase().as_bytes()).ok(),
            data_encoding::HEXLOWER_PERMISSIVE.decode(bare.as_bytes()).ok(),
        ];
        views.extend(decoded.into_iter().flatten().map(|bytes| loose(&bytes)));
    }
    // Every 4 letters and digits the views hold, once: each secret's pieces are then looked up, not searched for.
    let grams: std::collections::HashSet<&[u8]> = views.iter().flat_map(|view| view.windows(4)).collect();
    let secrets = SECRETS.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    secrets.levels.iter().flat_map(|level| level.tokens.iter()).any(|forms| {
        let secret = loose(secret_of(&forms.token).as_bytes());
        if secret.len() < 4 {
            return false;
        }
        let needed = secret.len().min(8);
        let reversed: Vec<u8> = secret.iter().rev().copied().collect();
        [secret.as_slice(), reversed.as_slice()].iter().any(|spelled| {
            let mut told = vec![false; spelled.len()];
            for at in 0..=spelled.len() - 4 {
                if grams.contains(&spelled[at..at + 4]) {
                    told[at..at + 4].iter_mut().for_each(|flag| *flag = true);
                }
            }
            told.iter().filter(|flag| **flag).count() >= needed
        })
    })
}

/// One token's redaction, apart from the registered ones: for text that
/// comes with a token puppet-lint must not register for the whole process
/// (a token a peer chose — registering it would let a peer mask any text).
pub struct Redactor(Secrets);

impl Redactor {
    pub fn new(token: &str) -> Redactor {
        let quotes = token.contains(['"', '\\', '/', '\'']);
        let levels = if token.is_empty() { Vec::new() } else { vec![Needles::new(vec![Forms::new(token)])] };
        Redactor(Secrets { levels, quotes })
    }

    /// `text` with this token masked as [`redact`] masks a registered one.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match redact_once(&self.0, text) {
            Some(out) => Cow::Owned(out),
            None => Cow::Borrowed(text),
        }
    }
}

/// `text` masked, or `None` when it shows no secret.
fn redact_once(secrets: &Secrets, text: &str) -> Option<String> {
    let mut found = Vec::new();
    // Per level of `secrets`: the pieces of its tokens found (see `needles`).
    let mut pieces: Vec<Vec<Piece>> = secrets.levels.iter().map(|_| Vec::new()).collect();
    for (needles, pieces) in secrets.levels.iter().zip(&mut pieces) {
        needles.find(text.as_bytes(), |start, end| (start, end), &mut found, pieces);
    }
    if decode::needed(text, secrets.quotes) {
        let mut begin = 0;
        loop {
            let end = char_boundary(text, begin + decode::SLICE + decode::OVERLAP);
            let decoded = decode::decode(&text[begin..end], secrets.quotes);
            for (needles, pieces) in secrets.levels.iter().zip(&mut pieces) {
                let original = |start, end| {
                    let (start, end) = decoded.original(start, end);
                    (begin + start, begin + end)
                };
                needles.find(&decoded.bytes, original, &mut found, pieces);
            }
            if end == text.len() {
                break;
            }
            begin = char_boundary(text, begin + decode::SLICE);
        }
    }
    // Pieces inside what is masked anyway (a run, the token) show nothing.
    let masked_anyway = |piece: &Piece| found.iter().any(|span| span.start <= piece.start && piece.end <= span.end);
    let mut judged = Vec::new();
    for (needles, pieces) in secrets.levels.iter().zip(&pieces) {
        let shown: Vec<&Piece> = pieces.iter().filter(|piece| !masked_anyway(piece)).collect();
        let mut tokens: Vec<usize> = shown.iter().map(|piece| piece.token).collect();
        tokens.sort_unstable();
        tokens.dedup();
        for token in tokens {
            let of_token: Vec<&Piece> = shown.iter().copied().filter(|piece| piece.token == token).collect();
            needles.judge_pieces(token, &of_token, &mut judged);
        }
    }
    found.append(&mut judged);
    (!found.is_empty()).then(|| masked(text, found))
}

/// The last character boundary of `text` at or before `at`.
fn char_boundary(text: &str, mut at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text` with every found span (merged where they overlap or touch)
/// replaced: by a token's mask where a whole token was found, else by `…`.
fn masked(text: &str, mut found: Vec<Found<'_>>) -> String {
    for span in &mut found {
        // Whole characters only (a span read in a decoded view may end inside one of the original's).
        span.end = span.end.min(text.len());
        while !text.is_char_boundary(span.start) {
            span.start -= 1;
        }
        while !text.is_char_boundary(span.end) {
            span.end += 1;
        }
        // Whole escapes only: half of one left would break the JSON around.
        if let Some((start, _)) = decode::escape_around(text, span.start) {
            span.start = start;
        }
        if let Some((_, end)) = decode::escape_around(text, span.end) {
            span.end = end;
        }
        // Nor half of a one-letter escape (JSON's `\b`, `\n`): a span that
        // starts on its letter takes its backslash, one that ends on its
        // backslash takes its letter.
        let bytes = text.as_bytes();
        if bytes[..span.start].iter().rev().take_while(|byte| **byte == b'\\').count() % 2 == 1 {
            span.start -= 1;
        }
        if bytes[..span.end].iter().rev().take_while(|byte| **byte == b'\\').count() % 2 == 1
            && let Some(letter) = text[span.end..].chars().next()
        {
            span.end += letter.len_utf8();
        }
    }
    found.sort_by_key(|span| (span.start, std::cmp::Reverse(span.end)));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut spans = found.into_iter().peekable();
    while let Some(first) = spans.next() {
        let (start, mut end, mut mask) = (first.start.max(copied), first.end, first.mask);
        while let Some(next) = spans.next_if(|next| next.start <= end) {
            end = end.max(next.end);
            mask = mask.or(next.mask);
        }
        if end <= start {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(mask.unwrap_or(RUN_MASK));
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Every distinct message down an error's source chain, redacted (a
/// library's error can carry the request, and so the token). tonic's
/// "transport error" is left out: it says nothing the causes below it do not.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = Some(error);
    while let Some(current) = source {
        let text = current.to_string();
        if !parts.iter().any(|part| part.contains(&text)) && text != "transport error" {
            parts.push(text);
        }
        source = current.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    redact(&parts.join(": ")).into_owned()
}

/// How a token looks inside a URL path (discovery puts it there).
fn percent_encoded(secret: &str) -> Cow<'_, str> {
    if secret.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)) {
        return Cow::Borrowed(secret);
    }
    let mut encoded = String::with_capacity(secret.len() * 3);
    for byte in secret.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Cow::Owned(encoded)
}

/// Percent-encode a token for a URL path segment.
pub fn url_segment(token: &str) -> String {
    percent_encoded(token).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_the_server_name_and_two_characters() {
        assert_eq!(mask("puppet_padlocal_3f9a0c1e-77"), "puppet_padlocal_3f…");
        assert_eq!(mask("insecure_0123456789"), "insecure_01…");
        assert_eq!(mask("abcdefgh12345"), "ab…");
    }

    #[test]
    fn mask_of_a_short_secret_shows_none_of_it() {
        assert_eq!(mask("insecure_abc"), "insecure_…");
        assert_eq!(mask("tiny"), "…");
        assert_eq!(mask("abcdefgh_"), "ab…", "a trailing `_` does not make the whole token a prefix");
        assert_eq!(mask("_"), "…");
    }

    #[test]
    fn redact_replaces_plain_and_url_encoded_forms() {
        register("redact_test_secret/with space");
        let text = "GET /v0/hosties/redact_test_secret%2Fwith%20space failed; token redact_test_secret/with space";
        let shown = redact(text);
        assert!(!shown.contains("secret/with space"), "{shown}");
        assert!(!shown.contains("secret%2Fwith"), "{shown}");
        assert!(shown.contains("redact_test_se…"), "{shown}");
    }

    /// Servers echo a token lower-cased, upper-cased or JSON-escaped.
    #[test]
    fn redact_replaces_the_forms_servers_echo() {
        register("insecure_MySuperSecret0987");
        for echoed in [
            "token insecure_mysupersecret0987 refused",
            "TOKEN INSECURE_MYSUPERSECRET0987",
            r#"{"token":"\u0069\u006e\u0073\u0065\u0063\u0075\u0072\u0065\u005f\u004d\u0079\u0053\u0075\u0070\u0065\u0072\u0053\u0065\u0063\u0072\u0065\u0074\u0030\u0039\u0038\u0037"}"#,
            r#"{"token":"\u0069\u006E\u0073\u0065\u0063\u0075\u0072\u0065\u005F\u004D\u0079\u0053\u0075\u0070\u0065\u0072\u0053\u0065\u0063\u0072\u0065\u0074\u0030\u0039\u0038\u0037"}"#,
        ] {
            let shown = redact(echoed);
            assert!(!shown.to_ascii_lowercase().contains("mysupersecret"), "{shown}");
            assert!(!shown.contains("\\u0053\\u0075\\u0070"), "{shown}");
        }
    }

    #[test]
    fn a_short_token_is_masked_where_it_stands_alone_not_inside_other_words() {
        register("x");
        let shown = redact("filebox.mime-extension failed: token x refused (\"x\")");
        assert_eq!(shown, "filebox.mime-extension failed: token … refused (\"…\")");
        assert_eq!(redact("max"), "max");
    }

    /// The part after the last `_`, or 8 characters of it, echoed alone or
    /// disguised, is masked as the whole token is.
    #[test]
    fn redact_follows_the_secret() {
        register("puppet_echo_3f9a0c1e-77b2-4d0e-9a41-55c3e1d0b7aa");
        let secret = "3f9a0c1e-77b2-4d0e-9a41-55c3e1d0b7aa";
        let base64 = |data: &str| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(data)
        };
        for echoed in [
            format!("token {secret} expired"),
            "token 3f9a0c1e-77b2 expired".to_owned(),
            "token …4d0e-9a41-55c3… expired".to_owned(),
            format!("token {} expired", secret.to_ascii_uppercase()),
            "token 3f9a\u{200B}0c1e-77b2 expired".to_owned(),
            r"token 3f9a\u200b0c1e-77b2-4d0e expired".to_owned(),
            r"puppet_echo\u005f3f9a0c1e-77b2".to_owned(),
            "puppet_echo&#95;3f9a0c1e&#x2d;77b2 &lowbar;".to_owned(),
            "3f9a%30c1e%2D77b2".to_owned(),
            format!("Authorization: Basic {}", base64(&format!("puppet_echo_{secret}"))),
            format!("x{}y", base64(&format!("a{secret}"))),
            format!("x{}y", base64(&format!("ab{secret}")).replace('+', "-").replace('/', "_").trim_end_matches('=')),
            format!("hex {}", secret.bytes().map(|byte| format!("{byte:02X}")).collect::<String>()),
        ] {
            let shown = redact(&echoed);
            assert_ne!(shown, echoed, "nothing masked in {echoed:?}");
            for window in secret.as_bytes().windows(8) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(!shown.to_ascii_lowercase().contains(window), "{window} in {shown:?}");
            }
        }
        let zero_width = format!("token 3f9a{}0c1e-77b2 expired", '\u{200B}');
        assert_eq!(redact(&zero_width), "token … expired");
        assert_eq!(redact("token 3f9a0c1e expired, 3f9a0c1 is 7"), "token … expired, 3f9a0c1 is 7");
        assert_eq!(redact(&format!("puppet_echo_{secret}")), "puppet_echo_3f…");
    }

    #[test]
    fn a_short_secret_is_masked_where_it_stands_alone() {
        register("insecure_k7q2");
        assert_eq!(redact("secret k7q2 refused; k7q2x stays"), "secret … refused; k7q2x stays");
        assert_eq!(redact("insecure_k7q2"), "insecure_…");
    }

    #[test]
    fn a_redactor_masks_its_token_only() {
        let redactor = Redactor::new("puppet_service_Qw7eRt5yUi3o");
        assert_eq!(redactor.redact("x Qw7eRt5yUi3o y").into_owned(), "x … y");
        assert_eq!(redactor.redact("nothing here"), "nothing here");
        assert_eq!(redact("x Qw7eRt5yUi3o y"), "x Qw7eRt5yUi3o y", "not registered for the process");
    }

    #[test]
    fn a_mask_never_splits_a_one_letter_escape() {
        let secret = "b8Tn3Yp6LqW2";
        register(&format!("insecure_{secret}"));
        let json = serde_json::to_string(&format!("\u{8}\u{8}{secret}\n")).unwrap();
        let shown = redact(&json).into_owned();
        assert!(serde_json::from_str::<String>(&shown).is_ok(), "still JSON: {shown}");
        assert!(!shown.contains("8Tn3Yp6L"), "{shown}");
        let ending = serde_json::to_string(&format!("{secret}\u{8}")).unwrap();
        let shown = redact(&ending).into_owned();
        assert!(serde_json::from_str::<String>(&shown).is_ok(), "still JSON: {shown}");
    }

    #[test]
    fn one_error_chain_redacts() {
        register("insecure_chain-0123456789");
        let error = std::io::Error::other(std::io::Error::other("token insecure_chain-0123456789 refused"));
        let chain = error_chain(&error);
        assert!(!chain.contains("0123456789"), "{chain}");
    }

    /// A secret told in pieces under 8 characters: each word made of its pieces counts, and a word that would
    /// make 8 of its characters shown — with those in the same text or shown before — is masked.
    #[test]
    fn a_secret_told_in_pieces_shows_at_most_seven_of_its_characters() {
        let hex = |text: &str| text.bytes().map(|byte| format!("{byte:02x}")).collect::<String>();
        // Halves in two texts (two events, two lines): the first shows 7, the second would complete it.
        register("pieces_Zq8vTn4Lp0Wk2R");
        assert_eq!(redact("first half Zq8vTn4"), "first half Zq8vTn4");
        assert_eq!(redact("second half Lp0Wk2R."), "second half ….");
        assert_eq!(redact("SECOND HALF LP0WK2R"), "SECOND HALF …", "in any case");
        assert_eq!(redact("again: zq8vtn4"), "again: zq8vtn4", "what has shown already tells nothing more");
        // Thirds in one JSON text, each under 8.
        register("pieces_Kq7Wm2Zx9Rt4Pv6Ny3Ls");
        let json = r#"{"a":"Kq7Wm2Z","b":"x9Rt4Pv","c":"6Ny3Ls"}"#;
        let shown = redact(json).into_owned();
        assert_eq!(shown, r#"{"a":"…","b":"…","c":"…"}"#);
        // Reversed halves joined into one word.
        register("pieces_Hj5Tr8Gm3Df6W");
        assert_eq!(redact("token m3Df6WHj5Tr8G here"), "token … here");
        // Halves in hex, in one text; and \u-escaped halves.
        register("pieces_Zu4Nb7Yc1Xe8");
        let shown = redact(&format!("{} and {}", hex("Zu4Nb7"), hex("Yc1Xe8"))).into_owned();
        assert_eq!(shown, "… and …");
        register("pieces_Pw3Qe9Ra5Sd1");
        let escaped: String = "Pw3Qe9 Ra5Sd1".chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
        let shown = redact(&escaped).into_owned();
        assert!(!shown.contains("\\u0050\\u0077"), "{shown}");
    }

    /// Every split of a 12-character secret in two pieces of 4 or more, each told in its own text after any
    /// separator, or swapped and joined: never 8 of its characters shown.
    #[test]
    fn no_split_of_a_secret_shows_eight_of_its_characters() {
        let secret = "Hx7Pq2Ld9Ws4";
        for (round, at) in (4..=8).enumerate() {
            for (kind, separator) in [" ", "\n", "\",\"", ". ", "="].iter().enumerate() {
                let token = format!("split{round}x{kind}_{secret}");
                register(&token);
                let (first, second) = secret.split_at(at);
                let texts = [
                    format!("a{separator}{first}{separator}"),
                    format!("b{separator}{second}{separator}"),
                    format!("c {second}{first} d"),
                ];
                let shown: String = texts.iter().map(|text| redact(text).into_owned()).collect();
                let told: usize = [first, second].into_iter().filter(|piece| shown.contains(piece)).map(str::len).sum();
                assert!(told < 8, "{token}: {shown:?}");
            }
        }
    }

    /// A third party's text that spells a secret loosely — spaced, dotted into groups, reversed, base32, base64 of
    /// each half — tells it; an ordinary error body does not.
    #[test]
    fn a_text_that_spells_a_secret_loosely_tells_it() {
        use base64::Engine as _;
        let secret = "Vq3Lm8Tz5Rk1";
        register(&format!("loose_{secret}"));
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        for body in [
            "not found: V q 3 L m 8 T z 5 R k 1".to_owned(),
            "tok: Vq3L.m8Tz.5Rk1".to_owned(),
            format!("tok: {}", secret.chars().rev().collect::<String>()),
            format!("tok: {}", data_encoding::BASE32.encode(secret.as_bytes())),
            format!("halves {} {}", b64("Vq3Lm8"), b64("Tz5Rk1")),
        ] {
            assert!(tells_a_secret(&body), "{body}");
        }
        // (Bodies of no words: other tests register short secrets that ordinary words would spell.)
        for body in ["{\"code\":404}", "<h1>404</h1>", ""] {
            assert!(!tells_a_secret(body), "{body}");
        }
    }

    /// What is not a secret's pieces stays: a piece inside a longer word (`mock` in `mock-msg-35`, four
    /// characters in a digest), and pieces under 8 characters in all.
    #[test]
    fn words_that_only_hold_a_piece_are_not_masked() {
        register("insecure_mock-9d3c7b1a");
        let text = "mock-msg-35 from mock-contact-alice, digest 00ff9d3c7b00aa, mock: 9d3c7bx";
        assert_eq!(redact(text), text);
        assert_eq!(redact(text), text, "and not after it has been seen");
        // Numbers made of a secret's digits, as a report is full of: still numbers, still JSON.
        register("insecure_58120397x4615");
        let json = r#"{"at_ms": 5812, "took_ms": 0397, "seq": 4615, "size": 81203}"#;
        assert_eq!(redact(json), json);
        assert_eq!(redact(json), json);
    }

    #[test]
    fn a_secret_containing_another_is_never_shown_in_full() {
        register("nested_token_aaaaaaaa");
        register("nested_token_aaaaaaaa_longer_bbbbbbbb");
        let shown = redact("x nested_token_aaaaaaaa_longer_bbbbbbbb y");
        assert!(!shown.contains("nested_token_aaaaaaaa"), "{shown}");
        assert!(!shown.contains("bbbbbbbb"), "{shown}");
    }
}
