//! Tokens never leave puppet-lint in full.
//!
//! Every token puppet-lint learns (from flags, the environment, a suite or the
//! invalid token it makes up for the auth check) is registered here, and every
//! sink — terminal, reports, error messages — passes its text through
//! [`redact`]. Servers echo tokens back (in UNAUTHENTICATED details, in
//! metadata), so redacting at the sinks, not at the sources, is what holds.

use std::borrow::Cow;
use std::sync::RwLock;

static SECRETS: RwLock<Vec<Secret>> = RwLock::new(Vec::new());

/// A registered token with what [`redact`] looks for and writes instead,
/// worked out once (every event a provider sends passes through here).
struct Secret {
    /// The token, then the forms a server may echo it in: percent-encoded,
    /// lower- or upper-cased, every character a JSON `\uXXXX` escape.
    forms: Vec<String>,
    mask: String,
}

/// Remember `secret` so that [`redact`] hides it from now on.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !secrets.iter().any(|known| known.forms[0] == secret) {
        let mut forms = vec![secret.to_owned()];
        let escaped = |upper: bool| -> String {
            secret
                .encode_utf16()
                .map(|unit| if upper { format!("\\u{unit:04X}") } else { format!("\\u{unit:04x}") })
                .collect()
        };
        for form in [
            percent_encoded(secret).into_owned(),
            secret.to_ascii_lowercase(),
            secret.to_ascii_uppercase(),
            escaped(false),
            escaped(true),
        ] {
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        secrets.push(Secret { forms, mask: mask(secret) });
        // Longest first, so a token that contains another is masked whole.
        secrets.sort_by_key(|known| std::cmp::Reverse(known.forms[0].len()));
    }
}

/// The shown form of a token: its server-name prefix (public: it names the
/// provider) and two characters of the secret part, never the whole.
///
/// `puppet_padlocal_3f9a…` → `puppet_padlocal_3f…`, `abcdefgh12345` → `ab…`.
pub fn mask(token: &str) -> String {
    let (prefix, secret) = match token.rfind('_') {
        // With nothing after the last `_`, the "prefix" is the whole token.
        Some(cut) if cut + 1 < token.len() => token.split_at(cut + 1),
        _ => ("", token),
    };
    let shown: String = if secret.chars().count() >= 8 { secret.chars().take(2).collect() } else { String::new() };
    format!("{prefix}{shown}…")
}

/// `text` with every registered secret replaced by its [`mask`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        for form in &secret.forms {
            if !out.contains(form.as_str()) {
                continue;
            }
            out = if form.chars().count() < WHOLE_WORD_BELOW {
                // A short token (`x`, `e`) also occurs inside other words:
                // mask it only where it stands alone, or every `x` of the
                // output would turn into `…`.
                match replace_standalone(&out, form, &secret.mask) {
                    Some(replaced) => Cow::Owned(replaced),
                    None => out,
                }
            } else {
                Cow::Owned(out.replace(form.as_str(), &secret.mask))
            };
        }
    }
    out
}

/// Tokens shorter than this are masked only where they stand alone.
const WHOLE_WORD_BELOW: usize = 8;

/// Characters a token is made of: a token next to one of them is part of a
/// longer word.
fn in_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '~' | '%')
}

/// `text` with the standalone occurrences of `word` replaced; `None` when
/// there are none.
fn replace_standalone(text: &str, word: &str, with: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut replaced = false;
    for (at, _) in text.match_indices(word) {
        if at < last {
            continue;
        }
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if before.is_some_and(in_word) || after.is_some_and(in_word) {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = at + word.len();
        replaced = true;
    }
    replaced.then(|| {
        out.push_str(&text[last..]);
        out
    })
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

    #[test]
    fn a_secret_containing_another_is_never_shown_in_full() {
        register("nested_token_aaaaaaaa");
        register("nested_token_aaaaaaaa_longer_bbbbbbbb");
        let shown = redact("x nested_token_aaaaaaaa_longer_bbbbbbbb y");
        assert!(!shown.contains("nested_token_aaaaaaaa"), "{shown}");
        assert!(!shown.contains("bbbbbbbb"), "{shown}");
    }
}
