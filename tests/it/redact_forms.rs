//! Property tests of redaction that follows the secret (issue #19, point 2):
//! the secret (after the token's last `_`) in every form a service could
//! echo it — any case, format characters inserted, `\u` escapes, HTML
//! references, percent-encoding, base64 (both alphabets, with and without
//! padding, at each alignment), hex — at random places in random text, and
//! split over two fields: no run of 8 of its characters can be read back
//! from the output, by a decoder written here apart from the crate's.
//!
//! Each test runs in a process of its own ([`support::alone`]): tokens stay registered for the life of the
//! process, each with its secret's runs in every form, and would mask other tests' output.
//! `PROPTEST_CASES` asks for more cases.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use puppet_lint::redact;

use crate::support;
use crate::support::leak::a_run_of_the_secret;

/// Format characters a reader does not see (a few of Unicode's Cf).
const INVISIBLE: &[char] = &['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{AD}', '\u{E0041}'];

/// A token whose secret (after the last `_`) is at least 8 characters.
fn long_token() -> impl Strategy<Value = (String, String)> {
    let secret = prop_oneof![
        3 => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2 => "[A-Za-z0-9]{8,40}",
        1 => "[A-Za-z0-9.~-]{8,24}",
    ];
    (proptest::option::of("[a-z]{3,10}(_[a-z]{3,8})?"), secret).prop_map(|(prefix, secret)| {
        let token = prefix.map_or_else(|| secret.clone(), |prefix| format!("{prefix}_{secret}"));
        (token, secret)
    })
}

/// How a service could show a string: each character kept or escaped.
#[derive(Debug, Clone)]
enum Form {
    Plain,
    Lower,
    Upper,
    /// Invisible characters inserted before the characters marked.
    Invisible(Vec<(bool, usize)>),
    /// `\uXXXX` for the characters marked (upper-case hex when true).
    Unicode(Vec<bool>, bool),
    /// `&#DD;`, `&#xHH;` or `&lowbar;` (for `_`) for the characters marked.
    Html(Vec<(bool, u8)>),
    Percent(Vec<bool>, bool),
    /// Of `bytes + text + bytes`: standard or URL-safe, padded or not.
    Base64 {
        before: Vec<u8>,
        after: Vec<u8>,
        url_safe: bool,
        padded: bool,
    },
    Hex {
        before: Vec<u8>,
        upper: bool,
    },
}

fn not_alphanumeric() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("not a letter or digit", |byte| !byte.is_ascii_alphanumeric())
}

fn form() -> impl Strategy<Value = Form> {
    let marks = || proptest::collection::vec(any::<bool>(), 64);
    prop_oneof![
        Just(Form::Plain),
        Just(Form::Lower),
        Just(Form::Upper),
        proptest::collection::vec((any::<bool>(), 0usize..INVISIBLE.len()), 64).prop_map(Form::Invisible),
        (marks(), any::<bool>()).prop_map(|(marks, upper)| Form::Unicode(marks, upper)),
        proptest::collection::vec((any::<bool>(), 0u8..3), 64).prop_map(Form::Html),
        (marks(), any::<bool>()).prop_map(|(marks, upper)| Form::Percent(marks, upper)),
        // The bytes around only shift the encoding's alignment: none is a letter or digit, which could continue a
        // half of the secret by chance (its 7 characters and a random `o` read as 8 of `…O…`, ignoring case).
        (
            proptest::collection::vec(not_alphanumeric(), 0..3),
            proptest::collection::vec(not_alphanumeric(), 0..3),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(before, after, url_safe, padded)| Form::Base64 { before, after, url_safe, padded }),
        (proptest::collection::vec(not_alphanumeric(), 0..2), any::<bool>())
            .prop_map(|(before, upper)| Form::Hex { before, upper }),
    ]
}

fn shown(text: &str, form: &Form) -> String {
    use base64::Engine;
    let each = |f: &dyn Fn(usize, char) -> String| text.chars().enumerate().map(|(index, c)| f(index, c)).collect();
    match form {
        Form::Plain => text.to_owned(),
        Form::Lower => text.to_lowercase(),
        Form::Upper => text.to_uppercase(),
        Form::Invisible(marks) => each(&|index, c| {
            let (insert, which) = marks[index % marks.len()];
            if insert { format!("{}{c}", INVISIBLE[which]) } else { c.to_string() }
        }),
        Form::Unicode(marks, upper) => each(&|index, c| {
            if marks[index % marks.len()] {
                let unit = c as u32;
                if *upper { format!("\\u{unit:04X}") } else { format!("\\u{unit:04x}") }
            } else {
                c.to_string()
            }
        }),
        Form::Html(marks) => each(&|index, c| match marks[index % marks.len()] {
            (false, _) => c.to_string(),
            (true, _) if c == '_' => "&lowbar;".into(),
            (true, 0) => format!("&#{};", c as u32),
            (true, 1) => format!("&#x{:x};", c as u32),
            (true, _) => format!("&#X{:X};", c as u32),
        }),
        Form::Percent(marks, upper) => each(&|index, c| {
            if marks[index % marks.len()] {
                let mut buffer = [0u8; 4];
                c.encode_utf8(&mut buffer)
                    .bytes()
                    .map(|byte| if *upper { format!("%{byte:02X}") } else { format!("%{byte:02x}") })
                    .collect()
            } else {
                c.to_string()
            }
        }),
        Form::Base64 { before, after, url_safe, padded } => {
            let data = [before.as_slice(), text.as_bytes(), after.as_slice()].concat();
            let engine = match (url_safe, padded) {
                (false, true) => base64::engine::general_purpose::STANDARD,
                (false, false) => base64::engine::general_purpose::STANDARD_NO_PAD,
                (true, true) => base64::engine::general_purpose::URL_SAFE,
                (true, false) => base64::engine::general_purpose::URL_SAFE_NO_PAD,
            };
            engine.encode(data)
        }
        Form::Hex { before, upper } => before
            .iter()
            .chain(text.as_bytes())
            .map(|byte| if *upper { format!("{byte:02X}") } else { format!("{byte:02x}") })
            .collect(),
    }
}

/// Text around the secret: printable ASCII (with `%`, `&`, `\` and `#` that
/// could run into an escape), other scripts, and controls.
fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ -~]{0,24}",
        1 => "[ a-z%&#\\\\;]{0,12}",
        1 => "\\PC{0,12}",
    ]
}

/// The token or its secret, in every form a service could echo it, at random places in random text: no run of
/// 8 characters of the secret can be read from what `redact` gives back.
#[test]
fn no_form_of_the_secret_shows() {
    if !support::alone("redact_forms::no_form_of_the_secret_shows") {
        return;
    }
    let config = support::proptest_config(2000, "redact_forms.proptest-regressions");
    proptest!(config, |(
        (token, secret) in long_token(),
        pieces in proptest::collection::vec((filler(), any::<bool>(), form()), 1..5),
        tail in filler(),
    )| {
        redact::register(&token);
        let mut text = String::new();
        for (filler, whole, form) in &pieces {
            text.push_str(filler);
            text.push_str(&shown(if *whole { &token } else { &secret }, form));
        }
        text.push_str(&tail);
        let started = Instant::now();
        let output = redact::redact(&text).into_owned();
        prop_assert!(started.elapsed() < Duration::from_secs(5));
        let leaked = a_run_of_the_secret(&output, &secret);
        prop_assert!(leaked.is_none(), "{:?} readable in {:?} (from {:?})", leaked, output, text);
    });
}

/// A secret split over two fields (each half in a form of its own): neither field keeps a run of 8 of it.
#[test]
fn a_secret_split_over_two_fields_shows_no_run_of_eight() {
    if !support::alone("redact_forms::a_secret_split_over_two_fields_shows_no_run_of_eight") {
        return;
    }
    let config = support::proptest_config(2000, "redact_forms.proptest-regressions");
    proptest!(config, |(
        (token, secret) in long_token(),
        cut in any::<proptest::sample::Index>(),
        first_form in form(),
        second_form in form(),
    )| {
        redact::register(&token);
        let cut = secret.char_indices().nth(cut.index(secret.chars().count())).map_or(secret.len(), |(at, _)| at);
        let (first, second) = secret.split_at(cut);
        let text = serde_json::json!({
            "error": format!("token {} expired", shown(first, &first_form)),
            "detail": shown(second, &second_form),
        })
        .to_string();
        let output = redact::redact(&text).into_owned();
        let fields: serde_json::Value = serde_json::from_str(&output).expect("still JSON");
        for field in ["error", "detail"] {
            let value = fields[field].as_str().unwrap_or_default();
            let leaked = a_run_of_the_secret(value, &secret);
            prop_assert!(leaked.is_none(), "{:?} readable in {}: {:?} (from {:?})", leaked, field, value, text);
        }
    });
}
