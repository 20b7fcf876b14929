//! Every fixture package (fixtures/packages/) against the verdicts of VERDICTS.md, and inputs no package should
//! have (empty, binary, deeply nested, large) against panics and stack overflows.

use super::*;

/// What one judge must say: pass, skip with a reason containing the fragment, or fail with exactly these
/// findings, in order, each containing its fragment (fragments include `file:line:col` where there is one).
enum Want {
    Pass,
    Skip(&'static str),
    Fail(&'static [&'static str]),
}

use Want::{Fail, Pass, Skip};

const EX: &str = "examples/ding-dong-bot.ts";
const NO_DING: &str = "examples/ding-dong-bot.ts: no message handler (`puppet.on('message', …)`) recognises `ding`: \
                       looked for === / == comparisons, regex tests, switch cases, includes/startsWith; not found";
const NO_DONG: &str = "examples/ding-dong-bot.ts: it never answers `dong` through the puppet API: looked for \
                       `<puppet>.messageSendText(…, 'dong')`, a text `dong`, in a message handler (a file, URL, \
                       contact or mini-program whose name or title mentions `dong` is no answer); not found";
const NO_OWN: &str = "examples/ding-dong-bot.ts: it never constructs the provider's own puppet: looked for `new X(…)`";
const PRIVATE: &str = "a private package (`\"private\": true` at package.json:3:3)";
const NO_PUPPET: &str = "depends on no puppet package";
const PRIVATE_STRING: &str = "a private package (`\"private\": \"true\"` at package.json:3:3 — not `true`, but truthy, \
                              and npm refuses to publish a package whose `private` is truthy)";
const UNGUARDED_10_9: &str = "examples/ding-dong-bot.ts:10:9: `messageSendText` answers `dong` here whatever the \
                              message says: no `ding` test guards it";

/// fixture → (must: runtime dependencies, should: peer and dev dependencies, example).
const CASES: &[(&str, Want, Want, Want)] = &[
    ("conforming", Pass, Pass, Pass),
    (
        "wechaty-in-dependencies",
        Fail(&["package.json:4:43: \"wechaty\" is in dependencies, and must not be"]),
        Pass,
        Pass,
    ),
    (
        "puppet-not-a-peer-dependency",
        Fail(&["package.json:4:21: \"wechaty-puppet\" is in dependencies, and must not be"]),
        Fail(&[
            "package.json:5:3: \"wechaty-puppet\" is missing from peerDependencies, and should be there (it is in \
             dependencies at package.json:4:21, devDependencies at package.json:6:24)",
        ]),
        Pass,
    ),
    (
        "missing-dev-dependency",
        Pass,
        Fail(&["package.json:5:3: \"wechaty\" is missing from devDependencies, and should be there (it is in \
                peerDependencies at package.json:4:54)"]),
        Pass,
    ),
    (
        "peer-without-wechaty",
        Pass,
        Fail(&[
            "package.json:5:3: \"wechaty\" is missing from peerDependencies",
            "package.json:8:3: \"wechaty\" is missing from devDependencies",
        ]),
        Pass,
    ),
    (
        "juzi-puppet-in-dependencies",
        Fail(&["package.json:7:5: \"@juzi/wechaty-puppet\" is in dependencies, and must not be"]),
        Pass,
        Pass,
    ),
    (
        "puppet-in-optional-dependencies",
        Fail(&["package.json:5:29: \"wechaty-puppet\" is in optionalDependencies, and must not be"]),
        Pass,
        Pass,
    ),
    (
        "puppet-in-bundle-dependencies",
        Fail(&["package.json:7:5: \"wechaty-puppet\" is in bundleDependencies, and must not be"]),
        Pass,
        Pass,
    ),
    (
        "bundle-dependencies-true",
        Fail(&[
            "package.json:5:21: \"wechaty-puppet\" is in dependencies, and must not be",
            "package.json:6:26: bundledDependencies is `true`, which bundles \"wechaty-puppet\" from dependencies",
        ]),
        Pass,
        Pass,
    ),
    (
        "broken-package-json",
        Fail(&["package.json:5:3: not valid JSON: expected `,` or `}`"]),
        Fail(&["package.json:5:3: not valid JSON"]),
        Pass,
    ),
    ("no-package-json", Fail(&["package.json is missing"]), Fail(&["package.json is missing"]), Pass),
    ("private-package", Skip(PRIVATE), Skip(PRIVATE), Skip(PRIVATE)),
    ("no-puppet-dependency", Skip(NO_PUPPET), Skip(NO_PUPPET), Skip(NO_PUPPET)),
    // Named `wechaty-puppet-zoom`, described as a Wechaty puppet, without `wechaty-puppet` yet: judged, and told.
    (
        "names-a-puppet-without-wechaty-puppet",
        Pass,
        Fail(&[
            "package.json: \"wechaty-puppet\" is missing from peerDependencies, and should be there: package.json presents the package as a Wechaty puppet (its name `wechaty-puppet-zoom`), yet it depends on no `wechaty-puppet`; add it with the version range the provider supports",
            "package.json:7:3: \"wechaty-puppet\" is missing from devDependencies, and should be there",
            "package.json: \"wechaty\" is missing from peerDependencies, and should be there",
        ]),
        Pass,
    ),
    (
        "installed-package",
        Pass,
        Pass,
        Skip(
            "looks like an installed copy of the package (it has dist/ but neither src/ nor examples/); the \
              published package does not ship the example, so point puppet-lint at the provider's source repository",
        ),
    ),
    (
        "installed-from-tarball",
        Pass,
        Pass,
        Skip("its package.json has `_resolved` (at package.json:4:3), which npm writes when it installs a package"),
    ),
    (
        "no-example",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts is missing: looked for it, and for files named like ding-dong"]),
    ),
    ("misnamed-example", Pass, Pass, Fail(&["examples/ding-dong-bot.ts is missing; found `examples/ding-dong.ts`"])),
    (
        "example-in-wrong-directory",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts is missing; found `example/ding-dong-bot.ts`"]),
    ),
    ("ding-regex-literal", Pass, Pass, Pass),
    ("ding-anchored-regex", Pass, Pass, Pass),
    ("ding-switch-case", Pass, Pass, Pass),
    ("ding-includes-after-lowercase", Pass, Pass, Pass),
    ("ding-startswith-after-trim", Pass, Pass, Pass),
    ("commonjs-require", Pass, Pass, Pass),
    ("wechaty-only-in-comment", Pass, Pass, Pass),
    ("type-import-wechaty", Pass, Pass, Pass),
    ("ding-only-in-comments", Pass, Pass, Fail(&[NO_DING])),
    (
        "ding-outside-handler",
        Pass,
        Pass,
        Fail(&[
            NO_DING,
            "examples/ding-dong-bot.ts:5:5: a comparison for `ding` is here, outside every message handler",
        ]),
    ),
    ("example-never-answers-dong", Pass, Pass, Fail(&[NO_DONG])),
    // A picture named ding-dong.jpg, a file dong.png: no text `dong` (puppet-official-account's example).
    ("dong-only-in-a-file-name", Pass, Pass, Fail(&[NO_DONG])),
    // A link and a mini-program titled "dong", a contact card "dong": no text `dong` either.
    ("dong-only-in-a-url-title", Pass, Pass, Fail(&[NO_DONG])),
    ("dong-text-and-a-picture", Pass, Pass, Pass),
    (
        "example-imports-wechaty",
        Pass,
        Pass,
        Fail(&[
            "examples/ding-dong-bot.ts:4:1: it imports `wechaty`: the example must run the provider's puppet through \
             the puppet API only, without Wechaty",
            "examples/ding-dong-bot.ts:11:11: it answers `dong` with `.say(…)`, the Wechaty API",
            NO_DONG,
        ]),
    ),
    (
        "side-effect-import-wechaty",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts:1:1: it imports `wechaty` for its side effects"]),
    ),
    ("wechaty-subpath-import", Pass, Pass, Fail(&["examples/ding-dong-bot.ts:2:1: it imports `wechaty/impls`"])),
    (
        "dynamic-import-wechaty",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts:13:36: it imports `wechaty` dynamically (`import(…)`)"]),
    ),
    (
        "runs-mock-puppet",
        Pass,
        Pass,
        Fail(&[
            "examples/ding-dong-bot.ts:3:16: it constructs `PuppetMock` from `wechaty-puppet-mock`, another \
             provider's puppet",
            NO_OWN,
        ]),
    ),
    (
        "answers-with-say",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts:9:11: it answers `dong` with `.say(…)`, the Wechaty API", NO_DONG]),
    ),
    ("example-does-not-parse", Pass, Pass, Fail(&["examples/ding-dong-bot.ts:7:31: does not parse: Expected `)`"])),
    (
        "dong-when-not-ding",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts:11:11: `messageSendText` answers `dong` here in the branch taken when the \
                text is not `ding` (a comparison at examples/ding-dong-bot.ts:10:7)"]),
    ),
    ("dong-before-ding-test", Pass, Pass, Fail(&[UNGUARDED_10_9])),
    ("ding-early-return-not-ding", Pass, Pass, Pass),
    (
        "helper-called-unguarded",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts:9:9: `messageSendText` answers `dong` here whatever the message says"]),
    ),
    ("ding-in-module-const", Pass, Pass, Pass),
    ("dong-through-ternary", Pass, Pass, Pass),
    (
        "dong-through-ternary-wrong-way",
        Pass,
        Pass,
        Fail(&["examples/ding-dong-bot.ts:12:11: `messageSendText` answers `dong` here in the branch taken when the \
                text is not `ding` (a comparison at examples/ding-dong-bot.ts:10:17)"]),
    ),
    (
        "package-json-with-bom",
        Fail(&["package.json:1:54: \"wechaty\" is in dependencies, and must not be"]),
        Pass,
        Fail(&["examples/ding-dong-bot.ts:1:1: it imports `wechaty` for its side effects"]),
    ),
    ("bom-conforming", Pass, Pass, Pass),
    (
        "dependencies-array",
        Fail(&["package.json:4:19: dependencies should be an object mapping names to versions, not an array; it \
                names \"wechaty-puppet\" (at package.json:4:20), which npm's tooling may still install as a runtime \
                dependency, and must not be"]),
        Fail(&[
            "package.json: \"wechaty-puppet\" is missing from peerDependencies",
            "package.json: \"wechaty\" is missing from peerDependencies",
        ]),
        Pass,
    ),
    (
        "dev-dependencies-array",
        Pass,
        Fail(&[
            "package.json:4:19: dependencies should be an object mapping names to versions, not an array: npm expects \
             `{ \"name\": \"range\" }`",
            "package.json:6:22: devDependencies should be an object mapping names to versions, not an array",
        ]),
        Pass,
    ),
    ("private-string-true", Skip(PRIVATE_STRING), Skip(PRIVATE_STRING), Skip(PRIVATE_STRING)),
    ("private-false", Pass, Pass, Pass),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/packages")
}

fn check(fixture: &str, judge: &str, got: &Judgement, want: &Want) -> Result<(), String> {
    match (want, got) {
        (Pass, Judgement::Pass { .. }) => Ok(()),
        (Skip(fragment), Judgement::Skip { reason }) if reason.contains(fragment) => Ok(()),
        (Fail(fragments), Judgement::Fail { findings }) => {
            let shown: Vec<String> = findings.iter().map(ToString::to_string).collect();
            if shown.len() != fragments.len() || shown.iter().zip(fragments.iter()).any(|(f, w)| !f.contains(w)) {
                return Err(format!("{fixture}: {judge}: got {shown:#?}, want {fragments:#?}"));
            }
            for finding in findings {
                let says_what = finding.message.contains("looked for") || finding.message.contains("is missing");
                if finding.location.is_none() && !says_what {
                    return Err(format!(
                        "{fixture}: {judge}: {finding} has neither a location nor what was looked for"
                    ));
                }
            }
            Ok(())
        }
        _ => Err(format!("{fixture}: {judge}: got {got:?}")),
    }
}

#[test]
fn every_fixture_gets_its_verdicts() {
    let mut errors = Vec::new();
    for (fixture, must, should, example) in CASES {
        let package = match Package::read(&fixtures().join(fixture)) {
            Ok(package) => package,
            Err(finding) => {
                errors.push(format!("{fixture}: {finding}"));
                continue;
            }
        };
        let judged = [
            ("must", judge_runtime_dependencies(&package), must),
            ("should", judge_peer_and_dev_dependencies(&package), should),
            ("example", judge_ding_dong_example(&package, DING_DONG_EXAMPLE), example),
        ];
        for (judge, got, want) in &judged {
            if let Err(error) = check(fixture, judge, got, want) {
                errors.push(error);
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn every_fixture_directory_is_in_the_table() {
    let mut listed: Vec<&str> = CASES.iter().map(|case| case.0).collect();
    listed.sort_unstable();
    let mut found: Vec<String> = std::fs::read_dir(fixtures())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort_unstable();
    assert_eq!(listed, found);
}

#[test]
fn a_pass_says_where_it_saw_each_part() {
    let package = Package::read(&fixtures().join("conforming")).ok();
    let judgement = package.map(|p| judge_ding_dong_example(&p, DING_DONG_EXAMPLE));
    let Some(Judgement::Pass { note: Some(note) }) = judgement else { panic!("{judgement:?}") };
    assert_eq!(
        note,
        "constructs `PuppetExample` at examples/ding-dong-bot.ts:6:16, recognises `ding` with a comparison at \
         examples/ding-dong-bot.ts:10:7, answers `dong` with `messageSendText` at examples/ding-dong-bot.ts:12:11"
    );
}

#[test]
fn a_directory_that_is_not_there_is_an_error() {
    let error = Package::read(Path::new("/nonexistent/puppet")).err().map(|f| f.to_string());
    assert_eq!(error.as_deref(), Some("/nonexistent/puppet is not a directory"));
}

/// The example judge on source text alone, with the conforming package's name.
fn judge_text(text: &str) -> Judgement {
    judge_example_text(EX, text, Some("wechaty-puppet-example"))
}

fn passes(text: &str) -> bool {
    matches!(judge_text(text), Judgement::Pass { .. })
}

const HEAD: &str = "import { PuppetExample } from '../src/mod.js'\nconst puppet = new PuppetExample()\n";

#[test]
fn generous_with_the_form() {
    let handlers = [
        "puppet.on('message', async ({ messageId }) => { const m = await puppet.messagePayload(messageId); \
         if (m.text?.toLowerCase() === 'ding') await puppet.messageSendText(m.talkerId, 'dong') })",
        "puppet.on('message', async e => { const t = (await puppet.messagePayload(e.messageId)).text; \
         if (t && t.match(/^ding$/i)) { await puppet.messageSendText(e.x, `dong ${t}`) } })",
        "puppet.on('message', async e => { if (['ding', 'Ding'].includes(e.t)) await puppet.messageSendText(e.x, \
         'dong') })",
        "puppet.on('message', async e => { if (new RegExp('ding', 'i').test(e.t)) \
         puppet.messageSendText(e.x, 'Dong!') })",
        "class Bot { constructor (p) { p.on('message', this.onMessage.bind(this)) } \
         async onMessage (e) { if (e.t === 'ding') await this.reply(e) } \
         async reply (e) { await puppet.messageSendText(e.x, 'dong') } }",
        "puppet.on('message', async e => { if (e.t !== `ding`) return; await puppet['messageSendText'](e.x, 'dong') })",
    ];
    for handler in handlers {
        let judged = judge_text(&format!("{HEAD}{handler}\n"));
        assert!(matches!(judged, Judgement::Pass { .. }), "{handler}\n{judged:?}");
    }
    // Own package by name, with a subpath; a namespace require.
    assert!(passes(
        "import { PuppetExample } from 'wechaty-puppet-example/puppet'\nconst puppet = new PuppetExample()\n\
         puppet.on('message', async e => { if (e.t === 'ding') await puppet.messageSendText(e.x, 'dong') })\n"
    ));
    assert!(passes(
        "const P = require('../src/mod.js')\nconst puppet = new P.PuppetExample()\n\
         puppet.on('message', async e => { if (e.t === 'ding') await puppet.messageSendText(e.x, 'dong') })\n"
    ));
    assert!(passes(
        "import Puppet = require('../src/mod.js')\nconst puppet = new Puppet.PuppetExample()\n\
         puppet.on('message', async e => { if (e.t === 'ding') await puppet.messageSendText(e.x, 'dong') })\n"
    ));
}

#[test]
fn strict_with_the_meaning() {
    let fails = [
        // ding only in a log line and a comment; dong answered to everything
        "puppet.on('message', async e => { console.log('ding'); /* e.t === 'ding' */ \
         await puppet.messageSendText(e.x, 'dong') })",
        // a handler for another event
        "puppet.on('login', async e => { if (e.t === 'ding') await puppet.messageSendText(e.x, 'dong') })",
        // answers something else
        "puppet.on('message', async e => { if (e.t === 'ding') await puppet.messageSendText(e.x, 'pong') })",
        // compares two literals
        "puppet.on('message', async e => { if ('ding' === 'ding') await puppet.messageSendText(e.x, 'dong') })",
        // `dong` only in a comment next to the send
        "puppet.on('message', async e => { if (e.t === 'ding') await puppet.messageSendText(e.x /* 'dong' */, 'x') })",
    ];
    for handler in fails {
        let judged = judge_text(&format!("{HEAD}{handler}\n"));
        assert!(matches!(judged, Judgement::Fail { .. }), "{handler}\n{judged:?}");
    }
    // re-exports and requires of wechaty are violations; type-only ones and wechaty-puppet are not.
    for line in
        ["export { WechatyBuilder } from 'wechaty'", "export * from '@juzi/wechaty'", "const w = require('wechaty')"]
    {
        let text = format!(
            "{line}\n{HEAD}puppet.on('message', async e => {{ if (e.t === 'ding') \
                            await puppet.messageSendText(e.x, 'dong') }})\n"
        );
        let Judgement::Fail { findings } = judge_text(&text) else { panic!("{line}") };
        assert!(findings[0].to_string().starts_with("examples/ding-dong-bot.ts:1:"), "{findings:?}");
    }
    for line in [
        "export type { Message } from 'wechaty'",
        "import { type Message, type Contact } from 'wechaty'",
        "import { log } from 'wechaty-puppet'",
        "import * as PUPPET from '@juzi/wechaty-puppet'",
    ] {
        let text = format!(
            "{line}\n{HEAD}puppet.on('message', async e => {{ if (e.t === 'ding') \
                            await puppet.messageSendText(e.x, 'dong') }})\n"
        );
        assert!(passes(&text), "{line}: {:?}", judge_text(&text));
    }
}

#[test]
fn weird_examples_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut inputs: Vec<String> = vec![
        String::new(),
        "\u{feff}".to_string(),
        "\0\0\0".to_string(),
        "`".to_string(),
        "/*".to_string(),
        "import".to_string(),
        "puppet.on('message',".to_string(),
        "new".to_string(),
        "\u{2028}\u{2029}é\r\n\r".to_string(),
        "<div>".to_string(),
        "@".repeat(1000),
    ];
    for length in [1, 10, 100, 10_000] {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..length).map(|_| (random() & 0xff) as u8).collect();
            inputs.push(String::from_utf8_lossy(&bytes).into_owned());
            let tokens =
                ["(", ")", "{", "}", "'ding'", "'dong'", "puppet.on", "'message'", "=>", ",", ";", "new ", "x"];
            let text: String = (0..length).map(|_| tokens[(random() % tokens.len() as u64) as usize]).collect();
            inputs.push(text);
        }
    }
    for input in &inputs {
        // Any verdict will do; it must come back.
        let _ = judge_text(input);
    }
    // The same through files: a package with a binary package.json and a binary example.
    let dir = std::env::temp_dir().join(format!("puppet-lint-npm-weird-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("examples")).expect("temp dir");
    std::fs::write(dir.join("package.json"), [0xff, 0xfe, b'{', 0]).expect("write");
    std::fs::write(dir.join(EX), [b'a', b'\n', 0xc3, 0x28]).expect("write");
    let package = Package::read(&dir).expect("a directory");
    assert!(matches!(judge_runtime_dependencies(&package), Judgement::Fail { .. }));
    let Judgement::Fail { findings } = judge_ding_dong_example(&package, DING_DONG_EXAMPLE) else { panic!() };
    assert_eq!(findings[0].to_string(), "examples/ding-dong-bot.ts:2:1: not valid UTF-8");
    std::fs::write(dir.join(EX), "x".repeat(MAX_EXAMPLE_BYTES as usize + 1)).expect("write");
    let Judgement::Fail { findings } = judge_ding_dong_example(&package, DING_DONG_EXAMPLE) else { panic!() };
    assert!(findings[0].message.contains("more than the 1048576"), "{findings:?}");
    let _ = std::fs::remove_dir_all(&dir);
    // Deeply nested JSON is an error with a position, not an overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Manifest::parse(deep.into_bytes()).is_err());
}

#[test]
fn deep_nesting_never_overflows() {
    let megabyte = 1024 * 1024;
    // Dense nesting is refused before parsing, with where it got too deep.
    for text in [
        format!("{}1{}", "(".repeat(megabyte / 2), ")".repeat(megabyte / 2)),
        format!("let x: {}A{}", "A<".repeat(megabyte / 3), ">".repeat(megabyte / 3)),
        format!("x = {}", "[".repeat(megabyte)),
    ] {
        let Judgement::Fail { findings } = judge_text(&text) else { panic!() };
        assert!(findings[0].message.contains("nest more than 20000 levels"), "{findings:?}");
    }
    // Nesting hidden from the count, and nesting without brackets, parse on the parser's big stack.
    for text in [
        format!("let x = {}1", "(')'".repeat(megabyte / 4)),
        format!("{}x", "!".repeat(megabyte)),
        format!("{}x", "a?b:".repeat(megabyte / 4)),
        format!("{}x", "x=>".repeat(megabyte / 3)),
    ] {
        let _ = judge_text(&text);
    }
    // A large ordinary example (1 MB) still passes.
    let mut text = std::fs::read_to_string(fixtures().join("conforming").join(EX)).expect("fixture");
    while text.len() < megabyte - 64 {
        text.push_str("console.info('padding the example to a megabyte')\n");
    }
    assert!(passes(&text));
}

#[test]
#[ignore = "prints the verdict of every fixture, for VERDICTS.md"]
fn dump_verdicts() {
    for (fixture, ..) in CASES {
        let Ok(package) = Package::read(&fixtures().join(fixture)) else { continue };
        let show = |judgement: Judgement| match judgement {
            Judgement::Pass { .. } => "pass".to_string(),
            Judgement::Skip { reason } => format!("skip\t{reason}"),
            Judgement::Fail { findings } => {
                format!("fail\t{}", findings.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ⏎ "))
            }
        };
        println!("@@{fixture}");
        println!("must\t{}", show(judge_runtime_dependencies(&package)));
        println!("should\t{}", show(judge_peer_and_dev_dependencies(&package)));
        println!("example\t{}", show(judge_ding_dong_example(&package, DING_DONG_EXAMPLE)));
    }
}

/// The handler of a message whose text is `t` and conversation `x`, with `body` inside.
fn handler(body: &str) -> String {
    format!("{HEAD}puppet.on('message', async e => {{ const t = e.t; {body} }})\n")
}

#[test]
fn dong_is_guarded_by_ding() {
    let guarded = [
        "if (t === 'ding') { await puppet.messageSendText(e.x, 'dong') }",
        "if (t !== 'ding') { return } await puppet.messageSendText(e.x, 'dong')",
        "if (!/^ding$/i.test(t)) throw new Error('not ding'); await puppet.messageSendText(e.x, 'dong')",
        "if (t !== 'ding') { console.info(t) } else { await puppet.messageSendText(e.x, 'dong') }",
        "if (t === 'ding') { await puppet.messageSendText(e.x, 'dong'); return } console.info('other')",
        "t === 'ding' && await puppet.messageSendText(e.x, 'dong')",
        "t !== 'ding' || await puppet.messageSendText(e.x, 'dong')",
        "if (t && t.trim() === 'ding') await puppet.messageSendText(e.x, 'dong')",
        "if (t === 'ding' || t === 'Ding') await puppet.messageSendText(e.x, 'dong')",
        "if (!t || t !== 'ding') return; await puppet.messageSendText(e.x, 'dong')",
        "if (t.indexOf('ding') !== -1) await puppet.messageSendText(e.x, 'dong')",
        "if (t.indexOf('ding') === -1) return; await puppet.messageSendText(e.x, 'dong')",
        "switch (t) { case 'DING': case 'ding': await puppet.messageSendText(e.x, 'dong'); break; default: break }",
        "await puppet.messageSendText(e.x, t === 'ding' ? 'dong' : 'pong')",
        "let reply; if (t === 'ding') reply = 'dong'; if (reply) await puppet.messageSendText(e.x, reply)",
        "const reply = t === 'ding' ? 'dong' : undefined; if (reply) await puppet.messageSendText(e.x, `${reply}!`)",
        "if (t === 'ding') setTimeout(() => puppet.messageSendText(e.x, 'dong'), 10)",
    ];
    for body in guarded {
        let judged = judge_text(&handler(body));
        assert!(matches!(judged, Judgement::Pass { .. }), "{body}\n{judged:?}");
    }
    // A helper called only from the ding branch; consts at module scope (declared after use, too), aliased, and a
    // const ternary of two spellings of ding.
    for text in [
        format!(
            "{HEAD}async function answer (x) {{ await puppet.messageSendText(x, 'dong') }}\n\
             puppet.on('message', async e => {{ if (e.t === 'ding') await answer(e.x) }})\n"
        ),
        format!(
            "{HEAD}puppet.on('message', async e => {{ if (e.t === WORD) await puppet.messageSendText(e.x, DONG) }})\n\
             const DING = `ding`\nconst WORD = DING\nconst DONG = 'dong'\n"
        ),
        format!(
            "{HEAD}const DING = process.env.UPPER ? 'DING' : 'ding'\n\
             puppet.on('message', async e => {{ switch (e.t) {{ case DING: await puppet.messageSendText(e.x, 'dong') }} }})\n"
        ),
    ] {
        assert!(passes(&text), "{text}\n{:?}", judge_text(&text));
    }
}

#[test]
fn dong_answered_to_anything_else_fails_at_the_send() {
    let cases = [
        ("if (t !== 'ding') { await puppet.messageSendText(e.x, 'dong') }", "when the text is not `ding`"),
        ("await puppet.messageSendText(e.x, 'dong'); if (t === 'ding') console.info(t)", "whatever the message says"),
        ("if (t === 'ding') { console.info(t) } else { await puppet.messageSendText(e.x, 'dong') }", "is not `ding`"),
        ("if (t === 'ding') return; await puppet.messageSendText(e.x, 'dong')", "when the text is not `ding`"),
        ("switch (t) { case 'ding': break; default: await puppet.messageSendText(e.x, 'dong') }", "is not `ding`"),
        ("t === 'ding' || await puppet.messageSendText(e.x, 'dong')", "when the text is not `ding`"),
        ("const reply = t !== 'ding' ? 'dong' : ''; await puppet.messageSendText(e.x, reply)", "is not `ding`"),
        (
            "const reply = 'dong'; if (t === 'ding') console.info(t); await puppet.messageSendText(e.x, reply)",
            "whatever",
        ),
        (
            "if (t === 'ding') console.info(t); if (t.indexOf('ding')) await puppet.messageSendText(e.x, 'dong')",
            "whatever",
        ),
        // A guarded dong does not excuse an unguarded one.
        (
            "if (t === 'ding') await puppet.messageSendText(e.x, 'dong'); await puppet.messageSendText(e.x, 'dong')",
            "whatever the message says",
        ),
    ];
    for (body, why) in cases {
        let judged = judge_text(&handler(body));
        let Judgement::Fail { findings } = &judged else { panic!("{body}\n{judged:?}") };
        assert_eq!(findings.len(), 1, "{body}\n{findings:#?}");
        let shown = findings[0].to_string();
        assert!(shown.starts_with("examples/ding-dong-bot.ts:3:"), "{body}\n{shown}");
        assert!(shown.contains(why), "{body}\n{shown}");
    }
    // A helper called from the ding branch and from elsewhere is not guarded.
    let text = format!(
        "{HEAD}async function answer (x) {{ await puppet.messageSendText(x, 'dong') }}\n\
         puppet.on('message', async e => {{ if (e.t === 'ding') await answer(e.x); else await answer(e.y) }})\n"
    );
    let Judgement::Fail { findings } = judge_text(&text) else { panic!() };
    assert!(
        findings[0].to_string().starts_with("examples/ding-dong-bot.ts:3:35: `messageSendText` answers"),
        "{findings:?}"
    );
    // Consts are resolved only when every binding of the name is a string: a `let` or a computed const is not.
    for text in [
        handler("let D = 'ding'; if (t === D) await puppet.messageSendText(e.x, 'dong')"),
        handler("const D = t.trim(); if (t === D) await puppet.messageSendText(e.x, 'dong')"),
    ] {
        assert!(!passes(&text), "{text}");
    }
}

#[test]
fn a_byte_order_mark_is_not_a_column() {
    let text = format!("\u{feff}import 'wechaty'\n{HEAD}");
    let Judgement::Fail { findings } = judge_text(&text) else { panic!() };
    assert_eq!(findings[0].location.as_ref().map(|l| (l.line, l.column)), Some((1, 1)));
    let manifest = Manifest::parse(b"\xEF\xBB\xBF{\"a\": 1 \"b\": 2}".to_vec()).err().map(|f| f.to_string());
    assert_eq!(manifest.as_deref(), Some("package.json:1:9: not valid JSON: expected `,` or `}`"));
    let manifest = Manifest::parse(b"\xEF\xBB\xBF{\"name\": \"x\"}".to_vec()).expect("a BOM is accepted");
    assert_eq!(manifest.name(), Some("x"));
    assert!(!manifest.text().starts_with('\u{feff}'));
}

fn manifest_judgements(json: &str) -> (Judgement, Judgement) {
    let manifest = Manifest::parse(json.as_bytes().to_vec()).expect("valid JSON");
    let judge = |judge: fn(&Manifest) -> Judgement| match applicability::skip_all(&manifest) {
        Some(reason) => Judgement::Skip { reason },
        None => judge(&manifest),
    };
    (judge(manifest::judge_runtime), judge(manifest::judge_peer_and_dev))
}

#[test]
fn dependency_sections_that_are_not_objects() {
    let peer = r#""peerDependencies": {"wechaty-puppet": "1", "wechaty": "1"}, "devDependencies": {"wechaty-puppet": "1", "wechaty": "1"}"#;
    // A string list naming a scoped fork with a version hides a runtime dependency.
    let (must, _) = manifest_judgements(&format!(r#"{{"dependencies": "file-box, @juzi/wechaty-puppet@1", {peer}}}"#));
    let Judgement::Fail { findings } = must else { panic!("{must:?}") };
    assert!(
        findings[0].to_string().starts_with(
            "package.json:1:18: dependencies should be an object mapping names to versions, not a string; it names \
         \"@juzi/wechaty-puppet\""
        ),
        "{findings:?}"
    );
    // Other shapes are the should-rule's business, and the must-rule still passes.
    for (section, kind) in [
        (
            r#""optionalDependencies": null"#,
            "optionalDependencies should be an object mapping names to versions, not `null`",
        ),
        (
            r#""peerDependencies": ["wechaty-puppet"], "x": 1"#,
            "peerDependencies should be an object mapping names to versions, not an array",
        ),
        (
            r#""bundleDependencies": "file-box""#,
            "bundleDependencies should be an array of names (or `true`/`false`), not a string",
        ),
    ] {
        let text = format!(r#"{{{peer}, {section}}}"#).replacen(
            r#""peerDependencies": {"wechaty-puppet": "1", "wechaty": "1"}, "#,
            "",
            usize::from(section.contains("peer")),
        );
        let (must, should) = manifest_judgements(&text);
        assert!(matches!(must, Judgement::Pass { .. }), "{text}: {must:?}");
        let Judgement::Fail { findings } = should else { panic!("{text}: {should:?}") };
        assert!(findings.iter().any(|f| f.to_string().contains(kind)), "{text}: {findings:#?}");
        assert!(findings.iter().all(|f| f.location.is_some()), "{findings:#?}");
    }
}

#[test]
fn any_truthy_private_is_private() {
    for (value, private) in [
        ("true", true),
        ("\"true\"", true),
        ("\"false\"", true),
        ("1", true),
        ("{}", true),
        ("false", false),
        ("0", false),
        ("\"\"", false),
        ("null", false),
    ] {
        let (must, _) =
            manifest_judgements(&format!(r#"{{"private": {value}, "devDependencies": {{"wechaty-puppet": "1"}}}}"#));
        match must {
            Judgement::Skip { reason } => {
                assert!(private, "{value}: {reason}");
                assert!(reason.contains(&format!("`\"private\": {value}` at package.json:1:2")), "{reason}");
            }
            other => assert!(!private, "{value}: {other:?}"),
        }
    }
}

#[test]
fn a_finding_shows_on_one_line() {
    let finding = Finding::at(
        Location { file: "examples/a\nb.ts".to_string(), line: 1, column: 2 },
        "does not parse:\n  Expected `)`\r\n\u{2028}here".to_string(),
    );
    assert_eq!(finding.to_string(), "examples/a b.ts:1:2: does not parse: Expected `)` here");
    assert_eq!(Finding::general("plain".to_string()).to_string(), "plain");
    // Every finding of every fixture, too.
    for (fixture, ..) in CASES {
        let Ok(package) = Package::read(&fixtures().join(fixture)) else { continue };
        for judgement in [
            judge_runtime_dependencies(&package),
            judge_peer_and_dev_dependencies(&package),
            judge_ding_dong_example(&package, DING_DONG_EXAMPLE),
        ] {
            if let Judgement::Fail { findings } = judgement {
                assert!(findings.iter().all(|f| !f.to_string().contains('\n')), "{fixture}: {findings:?}");
            }
        }
    }
}

/// Helpers defined in the file: the `dong` passed to a helper (a function, a const arrow, a method) whose parameter
/// it sends, called from the ding branch, answers `ding`; the same helper called whatever the text does not.
#[test]
fn a_dong_sent_through_a_helpers_parameter_answers_ding() {
    let passing = [
        "async function reply (id, text) { await puppet.messageSendText(id, text) }\n\
         puppet.on('message', async e => { if (e.t === 'ding') await reply(e.x, 'dong') })",
        "const say = async (to, words = '') => puppet.messageSendText(to, words)\n\
         puppet.on('message', async e => { if (e.t !== 'ding') return; await say(e.x, 'Dong!') })",
        "class Bot { constructor (p) { p.on('message', this.onMessage.bind(this)) } \
         async onMessage (e) { if (/^ding$/i.test(e.t)) await this.answer(e.x, 'dong') } \
         async answer (to, text) { await puppet.messageSendText(to, text) } }",
        // A helper that sends its own `dong`, called from the ding branch.
        "async function reply (m) { await puppet.messageSendText(m.talkerId, 'dong') }\n\
         puppet.on('message', async e => { const m = await puppet.messagePayload(e.messageId); \
         if (m.text === 'ding') await reply(m) })",
    ];
    for handler in passing {
        let text = format!("{HEAD}{handler}\n");
        assert!(passes(&text), "{handler}\n{:?}", judge_text(&text));
    }
    // The helper's `dong` comes from a call outside the ding branch.
    let text = format!(
        "{HEAD}async function reply (id, text) {{ await puppet.messageSendText(id, text) }}\n\
         puppet.on('message', async e => {{ if (e.t === 'ding') console.log('ding'); await reply(e.x, 'dong') }})\n"
    );
    let Judgement::Fail { findings } = judge_text(&text) else { panic!("{:?}", judge_text(&text)) };
    assert!(findings[0].to_string().contains("whatever the message says"), "{findings:?}");
}

/// A branch that never runs answers nothing: `if (false)`, `0 &&`, a `const` compared with another value, the
/// else of an always-true test. The finding names the branch's test.
#[test]
fn a_dong_in_a_branch_that_never_runs_answers_nothing() {
    let dead = [
        ("if (false) { await puppet.messageSendText(e.x, 'dong') }", "a test always false"),
        ("0 && await puppet.messageSendText(e.x, 'dong')", "a test always false"),
        ("if (MODE === 'off') await puppet.messageSendText(e.x, 'dong')", "a test always false"),
        ("if (!MODE) { await puppet.messageSendText(e.x, 'dong') }", "a test always false"),
        ("if (MODE !== 'on') {} else if (null) { await puppet.messageSendText(e.x, 'dong') }", "a test always false"),
        ("if ('on' === MODE) {} else { await puppet.messageSendText(e.x, 'dong') }", "a test always true"),
    ];
    for (branch, form) in dead {
        let text = format!(
            "{HEAD}const MODE = 'on'\npuppet.on('message', async e => {{ if (e.t === 'ding') {{ {branch} }} }})\n"
        );
        let Judgement::Fail { findings } = judge_text(&text) else { panic!("{branch}: {:?}", judge_text(&text)) };
        let said: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert!(said.iter().any(|finding| finding.starts_with(NO_DONG)), "{branch}: {said:?}");
        assert!(
            said.iter().any(|finding| finding.contains("in a branch that never runs") && finding.contains(form)),
            "{branch}: {said:?}"
        );
    }
    // Tests that depend on the message, or a const that is on, run.
    for branch in [
        "if (MODE === 'on') await puppet.messageSendText(e.x, 'dong')",
        "if (e.quiet === false) {} else { await puppet.messageSendText(e.x, 'dong') }",
        "true && await puppet.messageSendText(e.x, 'dong')",
    ] {
        let text = format!(
            "{HEAD}const MODE = 'on'\npuppet.on('message', async e => {{ if (e.t === 'ding') {{ {branch} }} }})\n"
        );
        assert!(passes(&text), "{branch}: {:?}", judge_text(&text));
    }
}

/// A `dong` is the text dong (spaces, punctuation and case aside, or a template that begins so): a text that merely
/// holds the word answers something else.
#[test]
fn a_text_that_merely_holds_dong_is_no_dong() {
    for answer in ["'ding dong bell'", "'King Kong dong'", "'dongle'", "`ding dong ${e.t}`", "'dong-dong.mp3'"] {
        let text = format!(
            "{HEAD}puppet.on('message', async e => {{ if (e.t === 'ding') await puppet.messageSendText(e.x, {answer}) }})\n"
        );
        let Judgement::Fail { findings } = judge_text(&text) else { panic!("{answer}: {:?}", judge_text(&text)) };
        assert!(findings[0].to_string().starts_with(NO_DONG), "{answer}: {findings:?}");
    }
    for answer in ["'dong'", "'Dong!'", "' DONG. '", "`dong ${e.t}`", "'dong！'"] {
        let text = format!(
            "{HEAD}puppet.on('message', async e => {{ if (e.t === 'ding') await puppet.messageSendText(e.x, {answer}) }})\n"
        );
        assert!(passes(&text), "{answer}: {:?}", judge_text(&text));
    }
}
