//! Property tests over every input a peer or a user controls (issue #10,
//! point 7): event payloads, file boxes, gRPC statuses, suite YAML,
//! package.json and the example. The property is always at
//! least "no panic, and each case in bounded time"; some targets also check a
//! round trip.
//!
//! `cargo test` runs a few thousand cases per target; `PROPTEST_CASES=100000`
//! asks for a longer run (one target at a time:
//! `cargo test --test it fuzz::timeline`). Discovery answers and registry
//! frames are fuzzed as unit tests beside their private readers
//! (`src/target/discovery.rs`, `src/registry/websocket.rs`); redaction in
//! `fuzz_redaction.rs`, a process of its own: the tokens it registers stay
//! registered, and would slow (and mask) every redaction here.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Map, Value};

use puppet_lint::engine::field::{shapes, states};
use puppet_lint::engine::npm;
use puppet_lint::redact;
use puppet_lint::session::timeline::{Timeline, What};
use puppet_lint::wire::filebox::{FileBox, mime_of_name};
use puppet_lint::wire::status::{describe_status, first_line};
use puppet_lint::wire::{EventKind, decode_payload};

use crate::support::Scratch;

/// `default` cases, or `PROPTEST_CASES` when it is set; past failures'
/// seeds in `tests/fuzz.proptest-regressions`.
fn config(default: u32) -> ProptestConfig {
    crate::support::proptest_config(default, "fuzz.proptest-regressions")
}

/// The most one case may take (debug build, two busy cores): a case slower
/// than this is a hang in the making.
const CASE_LIMIT: Duration = Duration::from_secs(5);

fn bounded<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = work();
    let took = started.elapsed();
    assert!(took < CASE_LIMIT, "{what} took {took:?}");
    out
}

// ---------------------------------------------------------------- generators

/// Wire numbers: every known type, the fork's, unknown ones, the extremes.
fn event_number() -> impl Strategy<Value = i32> {
    prop_oneof![8 => -5i32..=40, 1 => Just(i32::MIN), 1 => Just(i32::MAX), 1 => any::<i32>()]
}

/// The field names real payloads use (WIRE.md, "Events").
const FIELDS: &[&str] = &[
    "data",
    "messageId",
    "qrcode",
    "status",
    "contactId",
    "payloadType",
    "payloadId",
    "gerror",
    "postId",
    "friendshipId",
    "roomInvitationId",
    "inviteeIdList",
    "inviterId",
    "roomId",
    "timestamp",
    "removeeIdList",
    "removerId",
    "changerId",
    "newTopic",
    "oldTopic",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => proptest::sample::select(FIELDS).prop_map(str::to_owned), 1 => any::<String>()]
}

fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-10i64..10).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|float| serde_json::Number::from_f64(float).map_or(Value::Null, Value::Number)),
    ]
}

/// JSON values shaped like payloads: the real field names, every JSON type.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        any::<String>().prop_map(Value::String),
        "[a-z0-9@_-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A payload object with some of the real fields, values of any type.
fn payload_object() -> impl Strategy<Value = Value> {
    proptest::collection::vec((key(), json_value()), 0..8).prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
}

fn deep(depth: usize, open: &str, close: &str) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

/// Raw payload text as a peer could send it.
fn payload_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => payload_object().prop_map(|value| value.to_string()),
        2 => json_value().prop_map(|value| value.to_string()),
        2 => any::<String>(),
        1 => Just(String::new()),
        1 => "[ \t\r\n]{0,4}",
        // Huge: a big field, a big non-JSON body.
        1 => (proptest::sample::select(FIELDS), 10_000usize..400_000)
            .prop_map(|(field, size)| format!("{{\"{field}\":\"{}\"}}", "x".repeat(size))),
        1 => (1usize..300_000).prop_map(|size| "{".repeat(size)),
        // Deep nesting, around serde_json's recursion limit and far past it.
        1 => (1usize..200).prop_map(|depth| deep(depth, "[", "]")),
        1 => (1usize..50_000).prop_map(|depth| deep(depth, "{\"data\":", "}")),
        1 => (100usize..50_000).prop_map(|depth| "[".repeat(depth)),
        // Lone surrogates and other escapes.
        1 => (proptest::sample::select(FIELDS), proptest::sample::select(&[
            "\\ud800", "\\udfff", "\\ud800\\u0041", "\\udbff\\udbff", "\\u0000", "\\u007f\\u0085\\u009f", "\\ud83d\\ude00",
            "\\u", "\\uZZZZ", "\\x41", "\\",
        ][..])).prop_map(|(field, escape)| format!("{{\"{field}\":\"a{escape}b\"}}")),
        // Text with C1 controls and DEL, which the recording escapes.
        1 => "[\u{7f}-\u{9f}a\"\\\\\n]{0,20}".prop_map(|text| Value::Object(Map::from_iter([("data".to_owned(), Value::String(text))])).to_string()),
    ]
}

// ---------------------------------------------------------------- 1. events

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn event_payloads(number in event_number(), raw in payload_text()) {
        let kind = EventKind::from_wire(number);
        prop_assert_eq!(kind.wire(), number);
        prop_assert_eq!(EventKind::from_name(&kind.name()), Some(kind));
        let (value, problem) = bounded("decode_payload", || decode_payload(kind, &raw));
        if let Some(problem) = problem {
            let _ = problem.to_string();
        }
        if let Some(value) = value {
            let _ = value.to_string();
        }
        bounded("shapes::check", || {
            for problem in shapes::check(number, &raw) {
                let _ = format!("{problem:?}");
            }
        });
    }
}

/// Something the timeline records.
#[derive(Debug, Clone)]
enum Push {
    Event { stream: u32, number: i32, raw: String },
    Subscribed(u32),
    Ended(u32),
    Note(String),
    Sending(&'static str),
}

fn push() -> impl Strategy<Value = Push> {
    prop_oneof![
        8 => (0u32..4, event_number(), payload_text()).prop_map(|(stream, number, raw)| Push::Event { stream, number, raw }),
        1 => (0u32..4).prop_map(Push::Subscribed),
        1 => (0u32..4).prop_map(Push::Ended),
        1 => any::<String>().prop_map(Push::Note),
        1 => proptest::sample::select(&["Start", "Stop", "Ding"][..]).prop_map(Push::Sending),
    ]
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn timeline(
        pushes in proptest::collection::vec(push(), 0..12),
        from in 0usize..16,
        limit in 0usize..16,
        wanted_number in event_number(),
        window in (any::<u32>(), any::<u32>(), any::<u32>()),
    ) {
        bounded("timeline", || {
            let timeline = Timeline::new();
            let mut raws = Vec::new();
            for push in &pushes {
                match push {
                    Push::Event { stream, number, raw } => {
                        let seq = timeline.push_event(*stream, *number, raw.clone());
                        let masked = redact::redact(raw);
                        raws.push((seq, *number, puppet_lint::wire::cut_long(&masked).into_owned()));
                    }
                    Push::Subscribed(stream) => { timeline.push(What::Subscribed { stream: *stream }); }
                    Push::Ended(stream) => { timeline.push(What::StreamEnded { stream: *stream, error: None }); }
                    Push::Note(text) => { timeline.push(What::Note(text.clone())); }
                    Push::Sending(rpc) => timeline.sending(puppet_lint::wire::Rpc::from_name(rpc)),
                }
            }
            assert_eq!(timeline.len(), pushes.iter().filter(|push| !matches!(push, Push::Sending(_))).count());
            // Every event reads back as it was recorded (tokens masked; a long
            // payload as its head and its length: see `wire::cut_long`).
            let entries = timeline.since(0);
            assert_eq!(entries.len(), timeline.len());
            for (seq, number, raw) in &raws {
                let What::Event(event) = &entries[*seq].what else { panic!("entry {seq} is no event") };
                assert_eq!(event.kind.wire(), *number);
                assert_eq!(&event.raw, raw, "entry {seq} does not read back");
            }
            let scan = timeline.scan(from, |moment| moment.kind.map(EventKind::wire) == Some(wanted_number), limit);
            assert!(scan.entries.len() <= limit);
            assert!(scan.next >= from.min(timeline.len()));
            let _ = timeline.since(from);
            let _ = timeline.range(from, from + limit);
            let (a, b, focus) = window;
            let ms = |value: u32| Duration::from_millis(u64::from(value % 10_000));
            let excerpt = timeline.excerpt(ms(a), ms(b), ms(focus), limit);
            assert!(excerpt.len() <= limit);
            let _ = timeline.counts();
        });
    }
}

fn rpc_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(&["Start", "Stop", "Logout", "Ding", "MessageSendText", "Event"][..]).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Payloads of the state events, shaped to move the machine, or not.
fn state_payload() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => (0i64..8, proptest::option::of("[a-z]{0,4}")).prop_map(|(status, qrcode)| {
            let mut object = Map::new();
            object.insert("status".into(), status.into());
            if let Some(qrcode) = qrcode { object.insert("qrcode".into(), qrcode.into()); }
            Some(Value::Object(object))
        }),
        3 => "[a-c]{0,2}".prop_map(|id| Some(serde_json::json!({ "contactId": id }))),
        2 => payload_object().prop_map(Some),
        1 => json_value().prop_map(Some),
        1 => Just(None),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Subscribed(u32),
    Ended(u32, bool),
    Rpc(String, bool),
    Event { delay_ms: u64, stream: u32, number: i32, payload: Option<Value> },
}

fn step() -> impl Strategy<Value = Step> {
    let delay = prop_oneof![8 => 0u64..2_000, 1 => Just(0u64), 1 => any::<u64>()];
    let number =
        prop_oneof![4 => proptest::sample::select(&[1, 2, 3, 22, 23, 24, 25, 26, 16][..]), 1 => event_number()];
    prop_oneof![
        1 => (0u32..3).prop_map(Step::Subscribed),
        1 => (0u32..3, any::<bool>()).prop_map(|(stream, ok)| Step::Ended(stream, ok)),
        2 => (rpc_name(), any::<bool>()).prop_map(|(name, ok)| Step::Rpc(name, ok)),
        6 => (delay, 0u32..3, number, state_payload())
            .prop_map(|(delay_ms, stream, number, payload)| Step::Event { delay_ms, stream, number, payload }),
    ]
}

fn items(steps: &[Step]) -> Vec<states::Item> {
    let mut at_ms = 0u64;
    let mut seq = 0usize;
    // Replays marked as the timeline marks them.
    let mut replays = puppet_lint::session::replay::Replays::default();
    steps
        .iter()
        .map(|step| match step {
            Step::Subscribed(stream) => {
                replays.subscribed(*stream, std::time::Duration::from_millis(at_ms));
                states::Item::Subscribed { stream: *stream }
            }
            Step::Ended(stream, ok) => states::Item::StreamEnded {
                seq: 0,
                stream: *stream,
                error: (!ok).then(|| "CANCELLED".into()),
                lost: !ok && *stream % 2 == 0,
            },
            Step::Rpc(name, ok) => {
                let rpc = puppet_lint::wire::Rpc::from_name(name);
                if rpc == puppet_lint::wire::Rpc::Start {
                    replays.start_sent();
                }
                states::Item::Rpc { rpc, ok: *ok }
            }
            Step::Event { delay_ms, stream, number, payload } => {
                at_ms = at_ms.saturating_add(*delay_ms);
                seq += 1;
                let kind = puppet_lint::wire::EventKind::from_wire(*number);
                let raw = payload.as_ref().map(|payload| payload.to_string()).unwrap_or_default();
                let replay = replays.mark(*stream, kind, std::time::Duration::from_millis(at_ms), &raw);
                states::Item::Event {
                    seq,
                    stream: *stream,
                    number: *number,
                    payload: payload.clone(),
                    replay,
                    at: std::time::Duration::from_millis(at_ms),
                }
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn state_judge(steps in proptest::collection::vec(step(), 0..40)) {
        let items = items(&steps);
        let judged = bounded("states::judge", || states::judge(&items));
        let _ = format!("{judged:?}");
    }
}

// ---------------------------------------------------------------- 2. file boxes

fn filebox_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => proptest::sample::select(&["type", "boxType", "name", "base64", "url", "qrCode", "uuid", "size", "metadata", "mediaType"][..]).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    let value = prop_oneof![
        2 => (-2i64..12).prop_map(Value::from),
        2 => "[a-zA-Z0-9+/=.]{0,16}".prop_map(Value::from),
        1 => json_value(),
    ];
    prop_oneof![
        6 => proptest::collection::vec((key, value), 0..8).prop_map(|pairs| Value::Object(pairs.into_iter().collect()).to_string()),
        2 => any::<String>(),
        1 => payload_text(),
    ]
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn filebox(text in filebox_text(), name in any::<String>()) {
        bounded("filebox", || {
            if let Ok(filebox) = FileBox::parse(&text) {
                let json = filebox.to_json();
                assert_eq!(FileBox::parse(&json).as_ref(), Ok(&filebox), "{text} → {json}");
                let _ = filebox.inline_bytes();
                let _ = mime_of_name(&filebox.name);
            } else if let Err(error) = FileBox::parse(&text) {
                let _ = error.to_string();
            }
            let (extension, mime) = mime_of_name(&name);
            if let Some(extension) = extension {
                assert!(!extension.is_empty());
            }
            let _ = mime;
        });
    }
}

// ---------------------------------------------------------------- 3. statuses

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn status_details(code in any::<i32>(), message in prop_oneof![
        4 => any::<String>(),
        1 => "[a-z \n\r\t]{0,40}",
        1 => (any::<String>(), 1usize..2000).prop_map(|(line, lines)| format!("{line}\n    at stack").repeat(lines)),
    ]) {
        bounded("status", || {
            let status = tonic::Status::new(tonic::Code::from(code), message.clone());
            let shown = describe_status(&status);
            assert!(!shown.is_empty());
            let line = first_line(&message);
            assert!(message.contains(line));
            assert!(!line.contains('\n'));
            assert_eq!(line, line.trim());
        });
    }
}

// ---------------------------------------------------------------- 6. suites

/// A built-in suite, mutated the ways a person editing it might break it.
fn mutated_suite() -> impl Strategy<Value = String> {
    let builtin = proptest::sample::select(puppet_lint::suite::BUILTINS).prop_map(|(_, text)| text);
    (
        builtin,
        proptest::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0u8..7, "[ -~\t\n]{0,12}"),
            1..5,
        ),
    )
        .prop_map(|(text, edits)| {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            for (at, other, how, insert) in edits {
                if lines.is_empty() {
                    lines.push(insert);
                    continue;
                }
                let i = at.index(lines.len());
                let j = other.index(lines.len());
                match how {
                    0 => {
                        lines.remove(i);
                    }
                    1 => {
                        let line = lines[i].clone();
                        lines.insert(j, line);
                    }
                    2 => lines.swap(i, j),
                    3 => {
                        let chars: Vec<char> = lines[i].chars().collect();
                        let cut = other.index(chars.len() + 1);
                        lines[i] = chars[..cut]
                            .iter()
                            .chain(insert.chars().collect::<Vec<_>>().iter())
                            .chain(&chars[cut..])
                            .collect();
                    }
                    4 => {
                        let chars: Vec<char> = lines[i].chars().collect();
                        lines[i] = chars[..other.index(chars.len() + 1)].iter().collect();
                    }
                    5 => {
                        let indent = other.index(6);
                        lines[i] = format!("{}{}", " ".repeat(indent), lines[i].trim_start());
                    }
                    _ => lines.truncate(i),
                }
            }
            lines.join("\n")
        })
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn suite_yaml(text in prop_oneof![
        4 => mutated_suite(),
        2 => any::<String>(),
        1 => "[-:{}\\[\\],&*!|>'\"%@` \na-z0-9#?]{0,200}",
        1 => (1usize..20_000).prop_map(|depth| deep(depth, "[", "]")),
        1 => (1usize..5_000).prop_map(|depth| (0..depth).map(|level| format!("{}a:\n", " ".repeat(level))).collect()),
        1 => (1usize..2_000).prop_map(|count| format!("a: &a [x]\n{}", (0..count).map(|i| format!("b{i}: &a{i} [*a, *a]\n")).collect::<String>())),
    ]) {
        bounded("suite::parse", || match puppet_lint::suite::parse(&text, "fuzz.yaml") {
            Ok(suite) => { let _ = format!("{suite:?}"); }
            Err(errors) => { let _ = errors.to_string(); }
        });
    }
}

// ---------------------------------------------------------------- 7. package.json and the example

fn fixtures() -> &'static [(String, String)] {
    static FIXTURES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(|| {
        let root = crate::support::fixtures().join("packages");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&root).expect("fixtures/packages").flatten() {
            let dir = entry.path();
            let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            found.push((read("package.json"), read(npm::DING_DONG_EXAMPLE)));
        }
        found.sort();
        found
    })
}

/// Text with a few character-level edits: cuts, repeats, insertions.
fn mutate(text: &str, edits: &[(prop::sample::Index, prop::sample::Index, u8, String)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, other, how, insert) in edits {
        let i = at.index(chars.len() + 1);
        let j = other.index(chars.len() + 1);
        let (low, high) = (i.min(j), i.max(j));
        match how % 4 {
            0 => {
                chars.drain(low..high.min(low + 40));
            }
            1 => {
                let copy: Vec<char> = chars[low..high.min(low + 200)].to_vec();
                chars.splice(i..i, copy);
            }
            2 => {
                chars.splice(i..i, insert.chars());
            }
            _ => chars.truncate(i),
        }
    }
    chars.into_iter().collect()
}

fn edits() -> impl Strategy<Value = Vec<(prop::sample::Index, prop::sample::Index, u8, String)>> {
    proptest::collection::vec(
        (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u8>(), "[ -~\n]{0,10}"),
        0..4,
    )
}

fn package_json() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), edits()).prop_map(|(which, edits)| mutate(&fixtures()[which.index(fixtures().len())].0, &edits).into_bytes()),
        1 => any::<String>().prop_map(String::into_bytes),
        1 => payload_object().prop_map(|value| value.to_string().into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => (1usize..20_000).prop_map(|depth| deep(depth, "{\"dependencies\":", "}").into_bytes()),
        1 => (1usize..20_000).prop_map(|depth| deep(depth, "[", "]").into_bytes()),
    ]
}

fn example() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => (any::<prop::sample::Index>(), edits()).prop_map(|(which, edits)| Some(mutate(&fixtures()[which.index(fixtures().len())].1, &edits))),
        1 => any::<String>().prop_map(Some),
        1 => Just(None),
        1 => (1usize..3_000).prop_map(|depth| Some(format!("const x = {};", deep(depth, "(", ")")))),
        1 => (1usize..3_000).prop_map(|depth| Some(format!("if (a) {{{}}}", "if (b) {".repeat(depth) + &"}".repeat(depth)))),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn npm_package(manifest in proptest::option::weighted(0.95, package_json()), example in example()) {
        let dir = Scratch::new("fuzz-package");
        std::fs::create_dir_all(dir.join("examples")).expect("temp dir");
        if let Some(manifest) = &manifest {
            std::fs::write(dir.join("package.json"), manifest).expect("write package.json");
        }
        if let Some(example) = &example {
            std::fs::write(dir.join(npm::DING_DONG_EXAMPLE), example).expect("write the example");
        }
        bounded("npm", || {
            let package = npm::Package::read(&dir).expect("a directory");
            let _ = format!("{:?}", npm::judge_runtime_dependencies(&package));
            let _ = format!("{:?}", npm::judge_peer_and_dev_dependencies(&package));
            let _ = format!("{:?}", npm::judge_ding_dong_example(&package, npm::DING_DONG_EXAMPLE));
        });
    }
}
