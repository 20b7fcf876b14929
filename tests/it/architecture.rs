//! The house reads one way (ARCHITECTURE.md): every `crate::…` reference in
//! `src/` is checked against the rooms each room may import. A new import
//! that runs back up the flow, or a mock that reaches for checker code, fails
//! here with the file and the line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Helpers every room may use: no knowledge of the flow in them.
const LEAVES: &[&str] = &["clock", "redact", "exit", "signal", "wire", "proto", "der", "input"];

/// What each room may import besides the leaves. The flow is
/// cli → config (with suite, error) → target → session → engine → events →
/// report: a room imports the rooms before it (their output is its input),
/// and `events`, the contract between the engine and its readers. `mock`
/// and `registry` stand beside and import only leaves.
const ALLOWED: &[(&str, &[&str])] = &[
    ("wire", &[]),
    // The rules' words (must/should, state rules): every stage reads them, but not the mock or the registry (a
    // rule the mock shared with the checker would hide its own bug).
    ("vocab", &[]),
    ("cli", &["mock"]),
    ("suite", &["vocab"]),
    ("error", &["suite"]),
    ("config", &["cli", "suite", "error", "mock", "vocab"]),
    ("events", &["suite", "vocab"]),
    ("target", &["config"]),
    ("session", &["config", "target", "events", "vocab"]),
    ("engine", &["config", "suite", "target", "session", "events", "registry", "vocab"]),
    ("report", &["cli", "error", "suite", "events", "vocab"]),
    ("mock", &[]),
    ("registry", &[]),
    ("commands", &["*"]),
];

fn room_of(path: &Path, src: &Path) -> String {
    let relative = path.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            out.push(path);
        }
    }
}

/// `(room, line number, referenced room)` for every `crate::x` in a file.
fn references(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name.is_empty() {
                // `use crate::{a, b}`: every name in the group.
                if let Some(group) = after.strip_prefix('{').and_then(|group| group.split('}').next()) {
                    for item in group.split(',') {
                        let item = item.trim().split("::").next().unwrap_or("").trim();
                        if !item.is_empty() {
                            found.push((number + 1, item.to_owned()));
                        }
                    }
                }
            } else {
                found.push((number + 1, name));
            }
            rest = &after[after.len().min(1)..];
        }
    }
    found
}

#[test]
fn no_room_imports_one_it_must_not() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in &files {
        let room = room_of(file, &src);
        if room == "lib" || room == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (line, target) in references(&text) {
            if target == room || LEAVES.contains(&target.as_str()) {
                continue;
            }
            edges.insert((room.clone(), target.clone()));
            let ok = match allowed.get(room.as_str()) {
                Some(list) => list.contains(&"*") || list.contains(&target.as_str()),
                None => false,
            };
            if !ok {
                problems.push(format!("{}:{line}: {room} imports {target}", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "imports against the flow (see ARCHITECTURE.md):\n{}", problems.join("\n"));
    assert!(edges.iter().any(|(from, to)| from == "engine" && to == "events"), "the scan found the engine's imports");
}

#[test]
fn every_room_is_known() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known: BTreeSet<&str> =
        ALLOWED.iter().map(|(room, _)| *room).chain(LEAVES.iter().copied()).chain(["lib", "main"]).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in &files {
        let room = room_of(file, &src);
        assert!(known.contains(room.as_str()), "{}: room `{room}` is not in ARCHITECTURE.md's table", file.display());
    }
}

#[test]
fn the_scan_reads_groups_and_paths() {
    let found = references("use crate::{redact, wire::EventKind};\nlet x = crate::report::one_line(y);");
    let names: Vec<&str> = found.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(names, ["redact", "wire", "report"]);
}
