//! Property test of redaction (issue #10, point 7): a registered token is
//! never shown in full, plain or percent-encoded, in what [`redact::redact`]
//! gives back. A process of its own ([`support::alone`]), apart from the
//! other tests: registered tokens stay registered for the life of the
//! process, every redaction costs a look for each of them, and a short one
//! would mask text in the other tests' output.
//!
//! `PROPTEST_CASES` asks for more cases than the default; past a few ten
//! thousand, run several processes (each redaction looks for every token
//! registered before it).
//!
//! The secret in every other form a service could echo it:
//! `tests/redact_forms.rs`.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use puppet_lint::redact;

use crate::support;

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "puppet_[a-z]{3,10}_[0-9a-f-]{8,36}",
        2 => "[A-Za-z0-9_.~-]{8,40}",
        2 => "[ -~]{8,30}",
        1 => "\\PC{8,20}",
    ]
}

/// Tokens under eight characters are masked only where they stand alone.
fn short_token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.~%-]{1,7}"
}

#[test]
fn redaction() {
    if !support::alone("fuzz_redaction::redaction") {
        return;
    }
    // 1000: each case registers up to five tokens for the life of the process, and each token brings its
    // secret's runs in every form.
    let config = support::proptest_config(1000, "fuzz_redaction.proptest-regressions");
    proptest!(config, |(
        tokens in proptest::collection::vec(token(), 1..4),
        short in short_token(),
        pieces in proptest::collection::vec((any::<String>(), 0usize..4, any::<bool>()), 1..6),
    )| {
        for token in &tokens {
            redact::register(token);
        }
        redact::register(&short);
        let mut text = String::new();
        for (filler, which, encoded) in &pieces {
            text.push_str(filler);
            let embedded = if *which < tokens.len() { tokens[*which].clone() } else { format!(" {short} ") };
            text.push_str(&if *encoded { redact::url_segment(&embedded) } else { embedded });
        }
        let started = Instant::now();
        let shown = redact::redact(&text).into_owned();
        prop_assert!(started.elapsed() < Duration::from_secs(5));
        for token in &tokens {
            prop_assert!(!shown.contains(token.as_str()), "{:?} shown in {:?}", token, shown);
            let encoded = redact::url_segment(token);
            prop_assert!(!shown.contains(encoded.as_str()), "{:?} shown in {:?}", encoded, shown);
        }
        let standalone = format!(" {short} ");
        prop_assert!(!shown.contains(&standalone), "{:?} shown alone in {:?}", short, shown);
    });
}
