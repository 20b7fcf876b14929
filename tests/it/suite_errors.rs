//! Malformed suites: each error says where (file:line:col), which check, and
//! what was expected — exactly as `puppet-lint` prints it.

use puppet_lint::error::Error;
use puppet_lint::suite::{self, SuiteErrors};

/// A valid suite around `steps` (indented as list items of `steps:`).
fn suite_with(steps: &str) -> String {
    format!(
        "format: 1\nsuite: broken\nversion: '1'\ntitle: Broken\nchecks:\n  - id: demo.check\n    title: a check\n    requirement: a rule\n    level: must\n    steps:\n{steps}"
    )
}

fn rendered(name: &str, text: &str) -> String {
    let source = format!("suites/{name}.yaml");
    match suite::parse(text, &source) {
        Ok(_) => panic!("{name} should not load"),
        Err(SuiteErrors(errors)) => {
            Error::from(suite::LoadError { errors: SuiteErrors(errors), sources: vec![(source, text.to_owned())] })
                .render()
                .unwrap_or_default()
        }
    }
}

macro_rules! malformed {
    ($name:ident, $text:expr) => {
        #[test]
        fn $name() {
            crate::support::snapshot!(stringify!($name), rendered(stringify!($name), &$text));
        }
    };
}

malformed!(unknown_key, suite_with("      - wait_for: { event: login, withn: 3s }\n"));
malformed!(unknown_action, suite_with("      - sned_text: { to: \"${bot}\", text: hi }\n"));
malformed!(wrong_type, suite_with("      - wait_for: { event: login, within: [1, 2] }\n"));
malformed!(undefined_variable, suite_with("      - send_text: { to: \"${bott}\", text: hi }\n"));
malformed!(
    undefined_field,
    suite_with(
        "      - send_text: { to: \"${bot}\", text: hi, capture: sent }\n      - message_payload: { id: \"${sent.idd}\" }\n"
    )
);
malformed!(duration_without_unit, suite_with("      - wait: { for: 10 }\n"));
malformed!(unknown_event, suite_with("      - wait_for: { event: logn }\n"));
malformed!(
    unknown_status,
    suite_with("      - version: { token: \"${invalid_token}\", expect_error: unauthorised }\n")
);
malformed!(optional_variable_without_if, suite_with("      - send_text: { to: \"${peer_contact}\", text: hi }\n"));
malformed!(mark_never_captured, suite_with("      - wait_for: { event: ready, after: login }\n"));
malformed!(unknown_mime, suite_with("      - send_file: { to: \"${bot}\", mime: application/x-puppet-lint }\n"));
malformed!(assert_with_two_comparisons, suite_with("      - assert: { that: \"${bot}\", equals: a, contains: b }\n"));
malformed!(duplicate_key, suite_with("      - wait: { for: 1s, for: 2s }\n"));
malformed!(tab_indentation, suite_with("\t- wait: { for: 1s }\n"));
malformed!(
    duplicate_check_id,
    format!(
        "{}  - id: demo.check\n    title: again\n    requirement: r\n    level: must\n    steps:\n      - wait: {{ for: 1s }}\n",
        suite_with("      - wait: { for: 1s }\n")
    )
);
malformed!(bad_check_id, suite_with("      - wait: { for: 1s }\n").replace("demo.check", "Ready"));
malformed!(future_format, suite_with("      - wait: { for: 1s }\n").replace("format: 1", "format: 2"));
malformed!(missing_requirement, suite_with("      - wait: { for: 1s }\n").replace("    requirement: a rule\n", ""));

#[test]
fn every_problem_in_a_file_is_reported_not_just_the_first() {
    let text = suite_with("      - send_text: { to: \"${bott}\", text: hi }\n      - wait_for: { event: logn }\n");
    let Err(SuiteErrors(errors)) = suite::parse(&text, "two.yaml") else { panic!("should not load") };
    assert_eq!(errors.len(), 2);
}
