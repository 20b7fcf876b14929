//! The spec's npm publication rules on fixture packages (fixtures/packages/,
//! verdicts in fixtures/packages/VERDICTS.md), through the real binary:
//! `package.no-runtime-dependency` (must), `package.peer-dependencies`
//! (should) and `package.ding-dong-example` (must), each pass, fail (or
//! warn) or skip with the message the table gives, and the exit code
//! follows the `must` rules only.

use puppet_lint::exit;
use puppet_lint::report::model::{Report, Verdict};

use crate::support::{Cli, fixtures};

/// fixture, must, should, example (`pass` / `fail` / `skip`), and a
/// fragment of the first finding (or skip reason).
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    ("conforming", "pass", "pass", "pass", ""),
    (
        "wechaty-in-dependencies",
        "fail",
        "pass",
        "pass",
        "package.json:4:43: \"wechaty\" is in dependencies, and must not be",
    ),
    (
        "puppet-not-a-peer-dependency",
        "fail",
        "fail",
        "pass",
        "package.json:4:21: \"wechaty-puppet\" is in dependencies, and must not be",
    ),
    (
        "missing-dev-dependency",
        "pass",
        "fail",
        "pass",
        "package.json:5:3: \"wechaty\" is missing from devDependencies, and should be there",
    ),
    (
        "peer-without-wechaty",
        "pass",
        "fail",
        "pass",
        "package.json:5:3: \"wechaty\" is missing from peerDependencies, and should be there",
    ),
    (
        "juzi-puppet-in-dependencies",
        "fail",
        "pass",
        "pass",
        "package.json:7:5: \"@juzi/wechaty-puppet\" is in dependencies, and must not be",
    ),
    (
        "puppet-in-optional-dependencies",
        "fail",
        "pass",
        "pass",
        "package.json:5:29: \"wechaty-puppet\" is in optionalDependencies, and must not be",
    ),
    (
        "puppet-in-bundle-dependencies",
        "fail",
        "pass",
        "pass",
        "package.json:7:5: \"wechaty-puppet\" is in bundleDependencies, and must not be",
    ),
    (
        "bundle-dependencies-true",
        "fail",
        "pass",
        "pass",
        "package.json:5:21: \"wechaty-puppet\" is in dependencies, and must not be",
    ),
    ("broken-package-json", "fail", "fail", "pass", "package.json:5:3: not valid JSON: expected `,` or `}`"),
    ("no-package-json", "fail", "fail", "pass", "package.json is missing: "),
    ("private-package", "skip", "skip", "skip", "a private package (`\"private\": true` at package.json:3:3)"),
    (
        "no-puppet-dependency",
        "skip",
        "skip",
        "skip",
        "depends on no puppet package (no `wechaty-puppet` or `@<scope>/wechaty-puppet` in dependencies, peerDependencies, devDependencies or optionalDependencies)",
    ),
    (
        "names-a-puppet-without-wechaty-puppet",
        "pass",
        "fail",
        "pass",
        "package.json: \"wechaty-puppet\" is missing from peerDependencies, and should be there: package.json presents the package as a Wechaty puppet (its name `wechaty-puppet-zoom`), yet it depends on no `wechaty-puppet`; add it with the version range the provider supports",
    ),
    (
        "installed-package",
        "pass",
        "pass",
        "skip",
        "this directory looks like an installed copy of the package (it has dist/ but neither src/ nor examples/)",
    ),
    (
        "installed-from-tarball",
        "pass",
        "pass",
        "skip",
        "this directory looks like an installed copy of the package (its package.json has `_resolved` (at package.json:4:3)",
    ),
    ("no-example", "pass", "pass", "fail", "examples/ding-dong-bot.ts is missing"),
    ("misnamed-example", "pass", "pass", "fail", "examples/ding-dong-bot.ts is missing; found `examples/ding-dong.ts`"),
    (
        "example-in-wrong-directory",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts is missing; found `example/ding-dong-bot.ts`",
    ),
    ("ding-regex-literal", "pass", "pass", "pass", ""),
    ("ding-anchored-regex", "pass", "pass", "pass", ""),
    ("ding-switch-case", "pass", "pass", "pass", ""),
    ("ding-includes-after-lowercase", "pass", "pass", "pass", ""),
    ("ding-startswith-after-trim", "pass", "pass", "pass", ""),
    ("commonjs-require", "pass", "pass", "pass", ""),
    ("wechaty-only-in-comment", "pass", "pass", "pass", ""),
    ("type-import-wechaty", "pass", "pass", "pass", ""),
    (
        "ding-only-in-comments",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts: no message handler (`puppet.on('message', …)`) recognises `ding`",
    ),
    (
        "ding-outside-handler",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts: no message handler (`puppet.on('message', …)`) recognises `ding`",
    ),
    (
        "example-never-answers-dong",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts: it never answers `dong` through the puppet API",
    ),
    (
        "dong-only-in-a-file-name",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts: it never answers `dong` through the puppet API",
    ),
    (
        "dong-only-in-a-url-title",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts: it never answers `dong` through the puppet API",
    ),
    ("dong-text-and-a-picture", "pass", "pass", "pass", ""),
    ("example-imports-wechaty", "pass", "pass", "fail", "examples/ding-dong-bot.ts:4:1: it imports `wechaty`"),
    (
        "side-effect-import-wechaty",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:1:1: it imports `wechaty` for its side effects",
    ),
    ("wechaty-subpath-import", "pass", "pass", "fail", "examples/ding-dong-bot.ts:2:1: it imports `wechaty/impls`"),
    (
        "dynamic-import-wechaty",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:13:36: it imports `wechaty` dynamically (`import(…)`)",
    ),
    (
        "runs-mock-puppet",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:3:16: it constructs `PuppetMock` from `wechaty-puppet-mock`",
    ),
    (
        "answers-with-say",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:9:11: it answers `dong` with `.say(…)`, the Wechaty API",
    ),
    (
        "example-does-not-parse",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:7:31: does not parse: Expected `)` but found `{`",
    ),
    (
        "dong-when-not-ding",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:11:11: `messageSendText` answers `dong` here in the branch taken when the text is not `ding`",
    ),
    (
        "dong-before-ding-test",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:10:9: `messageSendText` answers `dong` here whatever the message says",
    ),
    ("ding-early-return-not-ding", "pass", "pass", "pass", ""),
    (
        "helper-called-unguarded",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:9:9: `messageSendText` answers `dong` here whatever the message says",
    ),
    ("ding-in-module-const", "pass", "pass", "pass", ""),
    ("dong-through-ternary", "pass", "pass", "pass", ""),
    (
        "dong-through-ternary-wrong-way",
        "pass",
        "pass",
        "fail",
        "examples/ding-dong-bot.ts:12:11: `messageSendText` answers `dong` here in the branch taken when the text is not `ding`",
    ),
    (
        "package-json-with-bom",
        "fail",
        "pass",
        "fail",
        "package.json:1:54: \"wechaty\" is in dependencies, and must not be",
    ),
    ("bom-conforming", "pass", "pass", "pass", ""),
    (
        "dependencies-array",
        "fail",
        "fail",
        "pass",
        "package.json:4:19: dependencies should be an object mapping names to versions, not an array; it names \"wechaty-puppet\"",
    ),
    (
        "dev-dependencies-array",
        "pass",
        "fail",
        "pass",
        "package.json:6:22: devDependencies should be an object mapping names to versions, not an array",
    ),
    (
        "private-string-true",
        "skip",
        "skip",
        "skip",
        "a private package (`\"private\": \"true\"` at package.json:3:3 — not `true`, but truthy",
    ),
    ("private-false", "pass", "pass", "pass", ""),
];

fn check(fixture: &str) -> (i32, Report) {
    let ran = Cli::new().arg("package").arg_path(fixtures().join("packages").join(fixture)).reports("package").run();
    (ran.code, ran.report())
}

fn wanted(word: &str, should: bool) -> Verdict {
    match (word, should) {
        ("pass", _) => Verdict::Pass,
        ("skip", _) => Verdict::Skip,
        ("fail", true) => Verdict::Warn,
        ("fail", false) => Verdict::Fail,
        _ => unreachable!("{word}"),
    }
}

#[test]
fn every_fixture_gets_the_verdicts_of_its_table_row() {
    for (fixture, must, should, example, fragment) in CASES {
        let (code, report) = check(fixture);
        let mut reasons = String::new();
        for (id, word, is_should) in [
            ("package.no-runtime-dependency", must, false),
            ("package.peer-dependencies", should, true),
            ("package.ding-dong-example", example, false),
        ] {
            let check =
                report.checks.iter().find(|check| check.id == id).unwrap_or_else(|| panic!("{fixture}: no {id}"));
            assert_eq!(check.verdict, wanted(word, is_should), "{fixture}: {id}: {:?}", check.reason);
            reasons.push_str(check.reason.as_deref().unwrap_or(""));
            if check.verdict != Verdict::Pass {
                let evidence = check.evidence.as_ref().expect("a finding carries evidence");
                assert!(evidence.timeline.is_empty(), "{fixture}: {id}: no gRPC timeline on a package finding");
            }
        }
        assert!(reasons.contains(fragment), "{fixture}: {fragment:?} not in {reasons:?}");
        let failing = *must == "fail" || *example == "fail";
        assert_eq!(code, if failing { exit::FAILURE } else { exit::OK }, "{fixture}");
    }
}

#[test]
fn every_fixture_directory_has_a_row() {
    for entry in std::fs::read_dir(fixtures().join("packages")).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(CASES.iter().any(|case| case.0 == name), "fixtures/packages/{name} has no row");
        }
    }
}

#[test]
fn a_regex_literal_example_with_only_a_puppet_peer_dependency_exits_0() {
    let (code, report) = check("peer-without-wechaty");
    assert_eq!(code, exit::OK, "a should-level warning at most");
    let peer = report.checks.iter().find(|check| check.id == "package.peer-dependencies").unwrap();
    assert_eq!(peer.verdict, Verdict::Warn);
    let (code, _) = check("ding-regex-literal");
    assert_eq!(code, exit::OK);
}

#[test]
fn a_puppet_in_dependencies_exits_1_naming_its_line() {
    let (code, report) = check("puppet-not-a-peer-dependency");
    assert_eq!(code, exit::FAILURE);
    let must = report.checks.iter().find(|check| check.id == "package.no-runtime-dependency").unwrap();
    let reason = must.reason.clone().unwrap_or_default();
    assert!(reason.starts_with("package.json:4:21: \"wechaty-puppet\" is in dependencies"), "{reason}");
}

/// A package.json that is no file to read, or larger than any, is refused at once as bad input (exit 2), before any
/// rule runs: a link to a device, a directory, an oversized file.
#[test]
fn a_package_json_that_is_no_file_or_too_large_is_refused_at_once() {
    let scratch = crate::support::Scratch::new("package-input");
    type Make = dyn Fn(&std::path::Path);
    let cases: [(&str, &Make); 3] = [
        ("a link to a device", &|path| std::os::unix::fs::symlink("/dev/zero", path).unwrap()),
        ("a directory", &|path| std::fs::create_dir(path).unwrap()),
        ("5 MiB", &|path| std::fs::write(path, vec![b' '; 5 << 20]).unwrap()),
    ];
    for (index, (what, make)) in cases.iter().enumerate() {
        let dir = scratch.path().join(index.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        make(&dir.join("package.json"));
        let ran = Cli::new().args(["package", dir.to_str().unwrap()]).run();
        ran.code(exit::USAGE).stderr_has("package.json: it is");
        assert!(ran.stdout.is_empty(), "{what}: nothing ran:\n{}", ran.stdout);
    }
}
