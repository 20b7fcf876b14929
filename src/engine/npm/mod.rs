//! The Puppet spec's "NPM Publication" rules, judged on a provider's package directory.
//!
//! Three judgements, each with its level in the spec:
//! - [`judge_runtime_dependencies`] (must): neither `wechaty-puppet` nor `wechaty` (nor a scoped fork such as
//!   `@juzi/wechaty-puppet`) is a runtime dependency; findings name the line and column in package.json.
//! - [`judge_peer_and_dev_dependencies`] (should): both are in `peerDependencies` and `devDependencies`.
//! - [`judge_ding_dong_example`] (must): `examples/ding-dong-bot.ts` runs the provider's own puppet, recognises
//!   `ding` in a message handler and answers `dong` through the puppet API, without Wechaty; judged on the syntax
//!   tree of the file (oxc), so comments and unrelated strings cannot fool it.
//!
//! Before judging, each judge decides whether its rule applies ("applicability"): a private package or one that
//! depends on no puppet package is skipped with the reason, and so is the example of a directory that looks like
//! an installed copy of the package.

mod applicability;
mod example;
mod location;
mod manifest;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

pub use location::Location;
pub use manifest::Manifest;

/// The example the spec asks for, relative to the package directory.
pub const DING_DONG_EXAMPLE: &str = "examples/ding-dong-bot.ts";

/// Directories that are never searched for files: installed dependencies, build output, git's own.
const SKIPPED_DIRECTORIES: [&str; 3] = ["node_modules", "dist", ".git"];
/// How deep and how wide the package directory is searched for files.
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 20_000;
/// The largest example that is parsed (a real one is a few kilobytes).
const MAX_EXAMPLE_BYTES: u64 = 1024 * 1024;
/// The stack of the thread that parses the example (reserved, not used, unless the code nests deeply): oxc's parser
/// is recursive, and nesting costs about 2 KiB of stack a level in a debug build (less in release). With nesting
/// over 20,000 brackets refused and at most 1 MiB of text, hidden nesting stays under 270,000 levels, which fits
/// (see `tests::deep_nesting_never_overflows`).
const PARSER_STACK_BYTES: usize = 1024 * 1024 * 1024;

/// One observation of a judge: where (if it is about a place in a file) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The construct the finding is about, or `None` for something looked for and not found (the message then
    /// names the file and what was looked for).
    pub location: Option<Location>,
    /// What is wrong (or, in a skip or pass note, what was seen), in one sentence.
    pub message: String,
}

impl Finding {
    pub(crate) fn at(location: Location, message: String) -> Finding {
        Finding { location: Some(location), message }
    }

    pub(crate) fn general(message: String) -> Finding {
        Finding { location: None, message }
    }
}

/// `file:line:col: message`, or the message alone when there is no location; always one line (a line break in
/// the file name or the message, e.g. from a parser's message or a name spanning lines, is shown as a space), so
/// that findings joined by the harness stay one a line.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match &self.location {
            Some(location) => format!("{location}: {}", self.message),
            None => self.message.clone(),
        };
        f.write_str(&one_line(&text))
    }
}

/// `text` with each run of line breaks (and the spaces around them) made one space.
fn one_line(text: &str) -> String {
    let breaks = ['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{b}', '\u{c}'];
    if !text.contains(breaks) {
        return text.to_string();
    }
    text.split(breaks).map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The verdict of one rule on one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// The rule is kept.
    Pass {
        /// What was seen, with locations (for a verbose report), if the judge has something to say.
        note: Option<String>,
    },
    /// The rule is broken (for the should-rule: not followed).
    Fail {
        /// Violations first, then what is missing; never empty.
        findings: Vec<Finding>,
    },
    /// The rule does not apply to this directory.
    Skip {
        /// Why, in one sentence (e.g. a private package, with the location of `"private": true`).
        reason: String,
    },
}

/// A package directory, read once: package.json (text, value, positions) and the files found in it.
#[derive(Debug, Clone)]
pub struct Package {
    dir: PathBuf,
    manifest: Result<Manifest, Finding>,
    top_directories: Vec<String>,
    files: Vec<String>,
}

impl Package {
    /// Reads `dir`: its package.json and the list of its files (relative paths with `/`, sorted; not under
    /// `node_modules`, `dist` or `.git`, at most 8 levels deep and 20,000 files; symbolic links to files count,
    /// symbolic links to directories are not followed).
    ///
    /// # Errors
    /// A finding when `dir` is not a directory (a usage error). A missing, unreadable or broken package.json is
    /// not an error here: it is kept (see [`Package::manifest`]) and each package.json judge fails with it, while
    /// the example can still be judged.
    pub fn read(dir: &Path) -> Result<Package, Finding> {
        if !dir.is_dir() {
            return Err(Finding::general(format!("{} is not a directory", dir.display())));
        }
        let manifest = match crate::input::read_bytes(&dir.join(manifest::FILE), crate::input::cap::PACKAGE_FILE) {
            Ok(bytes) => Manifest::parse(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(Finding::general(format!(
                "package.json is missing: {} has none, so it is no npm package",
                dir.display()
            ))),
            Err(error) => Err(Finding::general(format!("package.json cannot be read: {error}"))),
        };
        let (top_directories, files) = list_files(dir);
        Ok(Package { dir: dir.to_path_buf(), manifest, top_directories, files })
    }

    /// The directory this package was read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The parsed package.json, or the finding that says why there is none (missing, unreadable, not UTF-8, not
    /// JSON — at the parse error's `package.json:line:col` —, or not an object).
    pub fn manifest(&self) -> Result<&Manifest, &Finding> {
        self.manifest.as_ref()
    }

    /// The package's `name`, if package.json has one.
    pub fn name(&self) -> Option<&str> {
        self.manifest.as_ref().ok().and_then(Manifest::name)
    }

    /// Whether package.json marks the package private: `"private"` with any truthy value (`true`, `"true"`, `1`,
    /// even `"false"`), as npm sees it when it refuses to publish.
    pub fn is_private(&self) -> bool {
        self.manifest.as_ref().ok().and_then(|m| m.value().get("private")).is_some_and(manifest::truthy)
    }

    /// The files found (see [`Package::read`]).
    pub fn files(&self) -> &[String] {
        &self.files
    }

    fn has_top_directory(&self, name: &str) -> bool {
        self.top_directories.iter().any(|d| d == name)
    }

    /// Judges a package.json rule: skip if it does not apply, fail with the manifest's own finding if there is
    /// no manifest.
    fn judge_manifest(&self, judge: fn(&Manifest) -> Judgement) -> Judgement {
        match &self.manifest {
            Err(finding) => Judgement::Fail { findings: vec![finding.clone()] },
            Ok(manifest) => match applicability::skip_all(manifest) {
                Some(reason) => Judgement::Skip { reason },
                None => judge(manifest),
            },
        }
    }
}

/// The top-level directories, and the files (relative, `/`-separated, sorted) of `dir`.
fn list_files(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut top = Vec::new();
    let mut files = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new(), 0usize)];
    while let Some((path, prefix, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if depth == 0 {
                    top.push(name.clone());
                }
                if !SKIPPED_DIRECTORIES.contains(&name.as_str()) && depth + 1 < MAX_DEPTH {
                    pending.push((entry.path(), relative, depth + 1));
                }
            } else if (kind.is_file() || (kind.is_symlink() && entry.path().is_file())) && files.len() < MAX_FILES {
                files.push(relative);
            }
        }
    }
    files.sort();
    top.sort();
    (top, files)
}

/// The must-rule of the Puppet spec, NPM Publication: "`wechaty-puppet` must not [be] a dependency" (same for
/// `wechaty`). Neither `wechaty-puppet` nor `wechaty`, nor a scoped fork (`@<scope>/wechaty-puppet`,
/// `@<scope>/wechaty`), may be in `dependencies`, `optionalDependencies` or `bundleDependencies` /
/// `bundledDependencies` (an array of names, or `true` for all of `dependencies`).
///
/// A `dependencies` or `optionalDependencies` that is not an object (an array, or a string of names, which npm's
/// tooling may still turn into dependencies) and names one of them is a finding too, at the section's value;
/// other non-object dependency sections are the should-rule's (see [`judge_peer_and_dev_dependencies`]).
///
/// Each finding points at the offending key (or array element) as `package.json:line:col`. Skips a private
/// package or one that depends on no puppet package; fails with the manifest's finding when package.json is
/// missing or broken.
pub fn judge_runtime_dependencies(package: &Package) -> Judgement {
    package.judge_manifest(manifest::judge_runtime)
}

/// The should-rule of the Puppet spec, NPM Publication: `wechaty-puppet` and `wechaty` "should be put in
/// devDependencies and peerDependencies". A scoped fork stands for its base name: a package that uses
/// `@juzi/wechaty-puppet` should have `@juzi/wechaty-puppet` there.
///
/// `Fail` first lists the dependency sections that are not objects (arrays, strings, `null`…, each at its value;
/// a bundle section that is neither an array nor a boolean likewise), except those the must-rule reports, then
/// each name missing from each section (pointing at the section's key when the section exists, and
/// saying where else the name is); the harness reports it at the "should" level. Skips and manifest failures as
/// for [`judge_runtime_dependencies`].
pub fn judge_peer_and_dev_dependencies(package: &Package) -> Judgement {
    package.judge_manifest(manifest::judge_peer_and_dev)
}

/// The example rule of the Puppet spec, NPM Publication: the package has `example` (normally
/// [`DING_DONG_EXAMPLE`], relative to the package directory, `/`-separated) "which implements the ding/dong logic
/// with the puppet API only". Judged on the file's syntax tree:
/// - it must not import, require, dynamically import or re-export `wechaty`, `wechaty/…` or `@<scope>/wechaty`
///   (type-only imports do not count);
/// - it must construct the provider's own puppet (`new X(…)`, X imported from a relative path or from the
///   package's own name), not another provider's (`wechaty-puppet-*`, `@<scope>/wechaty-puppet-*`);
/// - a function passed to (or named in) `.on('message', …)` / `.once` / `.addListener` must test for `ding`
///   (comparison, regex, switch case, includes/startsWith…), and answer with a `messageSend…` call whose
///   arguments mention `dong` — in the handler or in a function of the file it calls; `.say('dong')` (the Wechaty
///   API) is a violation;
/// - the `dong` answer must be guarded by the `ding` recognition: sent in the branch taken when the text is ding
///   (the consequent of a positive test, the alternate of a negated one or of `!==`, the rest of a block after
///   `if (<not ding>) return`/`throw`, a `case 'ding':` and the cases it falls into, the right of `<ding> &&`),
///   or in a function called from the handlers only from such branches, or carried by a variable whose `dong` is
///   so guarded (`const reply = text === 'ding' ? 'dong' : undefined`). Each unguarded or wrongly guarded (not-ding
///   branch, `default:`) `dong` send is a finding at the send.
///
/// Limits: names are resolved per file, not per scope. A `ding` is recognised through same-file `const` bindings
/// to strings, templates without expressions, ternaries of such, or other such consts (every `const` of the name
/// must be one; `let`/`var` are not followed). A `dong` is followed through variables (`const`/`let`/`var` and
/// plain `x = …` assignments) up to 16 names deep, not through function returns, object properties or
/// parameters. Guards come from `if`, `?:`, `&&`/`||`, `switch` and early exits; `try`/loops/callbacks keep the
/// guard of where they are written.
///
/// Findings carry `file:line:col` (1-based), or name what was looked for and not found. A file that does not
/// parse fails with the parser's first error. A missing example fails, naming near-miss files (`ding-dong.ts`,
/// `example/…`, other extensions or cases). Skips as the package.json rules do, and also when the directory
/// looks like an installed copy of the package (there the example is not shipped).
pub fn judge_ding_dong_example(package: &Package, example: &str) -> Judgement {
    if let Ok(manifest) = package.manifest()
        && let Some(reason) = applicability::skip_all(manifest)
    {
        return Judgement::Skip { reason };
    }
    let example = example.trim_start_matches("./");
    if !package.files.iter().any(|file| file == example) {
        if let Some(reason) = applicability::installed_copy(package) {
            return Judgement::Skip { reason };
        }
        let near = applicability::near_misses(package, example);
        let message = if near.is_empty() {
            format!(
                "{example} is missing: looked for it, and for files named like ding-dong outside node_modules, dist \
                 and .git; none found"
            )
        } else {
            let found = near.iter().take(5).map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
            format!("{example} is missing; found {found}, which looks like it: the spec asks for exactly {example}")
        };
        return Judgement::Fail { findings: vec![Finding::general(message)] };
    }
    let path = package.dir.join(example);
    let bytes = match std::fs::metadata(&path) {
        Ok(meta) if meta.len() > MAX_EXAMPLE_BYTES => {
            return Judgement::Fail {
                findings: vec![Finding::general(format!(
                    "{example} is {} bytes, more than the {MAX_EXAMPLE_BYTES} an example is read up to",
                    meta.len()
                ))],
            };
        }
        _ if !crate::input::stays_within(&path, &package.dir) => {
            return Judgement::Fail {
                findings: vec![Finding::general(format!(
                    "{example} is a link leading outside the package: a published package holds its example itself"
                ))],
            };
        }
        _ => match crate::input::read_bytes(&path, crate::input::cap::PACKAGE_FILE) {
            Ok(bytes) => bytes,
            Err(error) => {
                return Judgement::Fail {
                    findings: vec![Finding::general(format!("{example} cannot be read: {error}"))],
                };
            }
        },
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&error.as_bytes()[..valid]).into_owned();
            let location = location::LineIndex::new(example, &prefix).locate(valid);
            return Judgement::Fail { findings: vec![Finding::at(location, "not valid UTF-8".to_string())] };
        }
    };
    let own_name = package.name().map(str::to_string);
    judge_example_text(example, &text, own_name.as_deref())
}

/// Judges example source `text` (named `file`) on a thread with a large stack, so that deeply nested code cannot
/// overflow the caller's stack; a panic of the parser becomes a finding.
fn judge_example_text(file: &str, text: &str, own_name: Option<&str>) -> Judgement {
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("ding-dong-example".to_string())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || example::judge(file, text, own_name))
            .map(|handle| handle.join())
    });
    match outcome {
        Ok(Ok(judgement)) => judgement,
        Ok(Err(_)) => {
            Judgement::Fail { findings: vec![Finding::general(format!("{file}: the parser failed on this file"))] }
        }
        Err(error) => Judgement::Fail {
            findings: vec![Finding::general(format!("{file}: could not start the parser's thread: {error}"))],
        },
    }
}
