//! Which suites and checks a run uses: `--suite`, `--only`, `--skip`, `--tag`.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Check, Planned, Suite, SuiteErrors};
use crate::suite;

/// Suites that did not load: every problem, and each file's text (for
/// showing the offending lines).
#[derive(Debug, thiserror::Error)]
#[error("{errors}")]
pub struct LoadError {
    pub errors: SuiteErrors,
    /// `(file name, text)` of every suite read.
    pub sources: Vec<(String, String)>,
}

/// The suites named on the command line, or the built-in ones.
pub fn load_suites(paths: &[PathBuf]) -> Result<Vec<Arc<Suite>>, LoadError> {
    let loaded: Vec<(Result<Suite, SuiteErrors>, String, String)> = if paths.is_empty() {
        suite::BUILTINS
            .iter()
            .map(|(name, text)| (suite::parse(text, name), (*name).to_owned(), (*text).to_owned()))
            .collect()
    } else {
        paths
            .iter()
            .map(|path| {
                let text = crate::input::read_to_string(path, crate::input::cap::SUITE).unwrap_or_default();
                (suite::load(path), path.display().to_string(), text)
            })
            .collect()
    };
    let mut suites = Vec::new();
    let mut errors = Vec::new();
    let mut sources = Vec::new();
    for (result, name, text) in loaded {
        match result {
            Ok(suite) => suites.push(suite),
            Err(SuiteErrors(found)) => errors.extend(found),
        }
        sources.push((name, text));
    }
    if errors.is_empty()
        && let Err(SuiteErrors(found)) = suite::check_unique_ids(&suites)
    {
        errors.extend(found);
    }
    if errors.is_empty() {
        Ok(suites.into_iter().map(Arc::new).collect())
    } else {
        Err(LoadError { errors: SuiteErrors(errors), sources })
    }
}

/// The checks that match the filters, in suite order, from the suites whose
/// `when:` this run has (`available`: `discovery`, `package`, `registry`).
pub fn plan(
    suites: &[Arc<Suite>],
    only: &[String],
    skip: &[String],
    tags: &[String],
    available: &[&str],
) -> Vec<Planned> {
    suites
        .iter()
        .filter(|suite| suite.when.as_deref().is_none_or(|when| available.contains(&when)))
        .flat_map(|suite| suite.checks.iter().map(move |check| (suite, check)))
        .filter(|(_, check)| selects(check, only, skip, tags))
        .map(|(suite, check)| Planned { suite: suite.clone(), check: shared(suite, check) })
        .collect()
}

/// `check` of `suite` as a shared handle, made once a suite: the targets of a fleet plan the same suites, and each
/// target's own copy of every check cost about 100 KiB a target.
fn shared(suite: &Arc<Suite>, check: &Check) -> Arc<Check> {
    type Shared = (std::sync::Weak<Suite>, Vec<Arc<Check>>);
    static SHARED: std::sync::Mutex<Vec<Shared>> = std::sync::Mutex::new(Vec::new());
    let mut shared = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // A suite still alive keeps its place; the weak handle keeps its allocation, so no other suite takes its address.
    shared.retain(|(weak, _)| weak.strong_count() > 0);
    let at = match shared.iter().position(|(weak, _)| std::ptr::eq(weak.as_ptr(), Arc::as_ptr(suite))) {
        Some(at) => at,
        None => {
            shared.push((Arc::downgrade(suite), suite.checks.iter().cloned().map(Arc::new).collect()));
            shared.len() - 1
        }
    };
    let checks = &shared[at].1;
    // The check by its place in the suite (a check is always one of its suite's).
    let place = suite.checks.iter().position(|each| std::ptr::eq(each, check));
    match place.and_then(|place| checks.get(place)) {
        Some(shared) => shared.clone(),
        None => Arc::new(check.clone()),
    }
}

/// Whether the filters choose `check`: its id matches one of `only` (or
/// there is none) and none of `skip`, and it has one of `tags` (or there is
/// none).
pub fn selects(check: &Check, only: &[String], skip: &[String], tags: &[String]) -> bool {
    (only.is_empty() || only.iter().any(|pattern| glob(pattern, &check.id)))
        && !skip.iter().any(|pattern| glob(pattern, &check.id))
        && (tags.is_empty() || check.tags.iter().any(|tag| tags.contains(tag)))
}

/// When a suite with `when: VARIABLE` runs, in the words of the command line (to follow "which runs"), and what
/// to do to run it.
pub fn enabled_by(when: &str) -> (String, &'static str) {
    match when {
        "capabilities" => ("unless --no-capabilities is given".into(), "drop --no-capabilities"),
        "package" => ("only with --package DIR".into(), "add it"),
        "registry" => ("only with --registry ADDR".into(), "add it"),
        "discovery" => ("only with a token the run discovers (--token without --endpoint)".into(), "add it"),
        other => (format!("only in a run that has `{other}`"), "add it"),
    }
}

/// The selection's filters that choose nothing, each as one line that says why and what to do: an `--only`
/// pattern whose checks are all in a suite this run does not have (`when:`, e.g. the capability suite without
/// `--capabilities`), or in none (the nearest ids: did you mean …), a `--skip` pattern that matches no check (a typo
/// skips nothing), a `--tag` no check has; and, when the filters together chose nothing though each matched,
/// which of them removed the rest. `available` as for [`plan`]. The lines quote the patterns as given: the
/// printer shows them inert.
pub fn unmatched(
    suites: &[Arc<Suite>],
    only: &[String],
    skip: &[String],
    tags: &[String],
    available: &[&str],
) -> Vec<String> {
    let runs = |suite: &Suite| suite.when.as_deref().is_none_or(|when| available.contains(&when));
    let every: Vec<(&Suite, &Check)> =
        suites.iter().flat_map(|suite| suite.checks.iter().map(move |check| (&**suite, check))).collect();
    let ids: Vec<&str> = every.iter().map(|(_, check)| check.id.as_str()).collect();
    let mut notes = Vec::new();
    for pattern in only {
        let matched: Vec<&(&Suite, &Check)> = every.iter().filter(|(_, check)| glob(pattern, &check.id)).collect();
        if matched.iter().any(|(suite, _)| runs(suite)) {
            continue;
        }
        let shown = pattern;
        match matched.first() {
            Some((suite, _)) => {
                let when = suite.when.as_deref().unwrap_or_default();
                let named: Vec<&str> = matched.iter().take(3).map(|(_, check)| check.id.as_str()).collect();
                let more = if matched.len() > named.len() { ", …" } else { "" };
                let (runs_when, advice) = enabled_by(when);
                notes.push(format!(
                    "--only {shown}: its checks ({}{more}) are in the {} suite, which runs {runs_when}: {advice}",
                    named.join(", "),
                    suite.id,
                ));
            }
            None => {
                let mut note = format!("--only {shown}: no check has this id{}", did_you_mean(pattern, &ids));
                // A suggestion in a suite this run does not have would choose nothing either: say what adds it.
                let opt_in = every.iter().find(|(suite, check)| {
                    !runs(suite)
                        && (note.contains(&format!("{} ", check.id))
                            || note.contains(&format!("{},", check.id))
                            || note.contains(&format!("{}?", check.id))
                            || check
                                .id
                                .split_once('.')
                                .is_some_and(|(family, _)| note.contains(&format!("{family}.*"))))
                });
                if let Some((suite, _)) = opt_in {
                    let when = suite.when.as_deref().unwrap_or_default();
                    note.push_str(&format!(" (in the {} suite, which runs {})", suite.id, enabled_by(when).0));
                }
                notes.push(note);
            }
        }
    }
    for pattern in skip.iter().filter(|pattern| !ids.iter().any(|id| glob(pattern, id))) {
        let shown = pattern;
        notes.push(format!("--skip {shown}: no check has this id, so it skips nothing{}", did_you_mean(pattern, &ids)));
    }
    let mut known: Vec<&str> = every.iter().flat_map(|(_, check)| check.tags.iter().map(String::as_str)).collect();
    known.sort_unstable();
    known.dedup();
    for tag in tags.iter().filter(|tag| !known.contains(&tag.as_str())) {
        let shown = tag;
        notes.push(format!("--tag {shown}: no check has this tag{}", did_you_mean(tag, &known)));
    }
    if notes.is_empty() && plan(suites, only, skip, tags, available).is_empty() {
        let chosen = plan(suites, only, &[], &[], available);
        if chosen.is_empty() {
            notes.push("no suite of this run has a check (the others run only with what their `when:` names)".into());
        } else if plan(suites, only, skip, &[], available).is_empty() {
            notes.push(format!("--skip removed every check --only chose ({})", chosen.len()));
        } else {
            notes.push("none of the checks --only and --skip leave has one of the --tag tags".into());
        }
    }
    notes
}

/// `; did you mean a, b?`: the (at most 3) names nearest `name` — first those holding every word of it (`send`,
/// `text` in `capability.send-receive-text`), then by edit distance, when near —, or the family a name or its
/// first word names (`heartbeat` → `heartbeat.*`); else a pointer to the list.
pub fn did_you_mean(name: &str, names: &[&str]) -> String {
    // A pattern's wildcards stand for nothing here.
    let bare: String = name.chars().filter(|c| *c != '*' && *c != '?').take(200).collect();
    let words = |text: &str| -> Vec<String> {
        text.split(['.', '-', '_', ' ']).filter(|word| !word.is_empty()).map(str::to_lowercase).collect()
    };
    let wanted = words(&bare);
    let limit = (bare.chars().count() / 3).max(2);
    let mut near: Vec<(bool, usize, &str)> = names
        .iter()
        .map(|known| {
            let has = words(known);
            let holds_all = wanted.len() > 1 && wanted.iter().all(|word| has.contains(word));
            (!holds_all, edit_distance(&bare, known), *known)
        })
        .filter(|(lacks, distance, _)| !lacks || *distance <= limit)
        .collect();
    near.sort();
    near.dedup();
    if !near.is_empty() {
        let named: Vec<&str> = near.iter().take(3).map(|(_, _, known)| *known).collect();
        return format!("; did you mean {}?", named.join(", "));
    }
    // The family: the name itself, or its first word, or one near it.
    let first = bare.split('.').next().unwrap_or_default();
    let mut families: Vec<&str> =
        names.iter().filter_map(|known| known.split_once('.').map(|(family, _)| family)).collect();
    families.sort_unstable();
    families.dedup();
    let family = families
        .iter()
        .map(|family| (edit_distance(first, family), *family))
        .filter(|(distance, _)| *distance <= 2.min(first.chars().count() / 3))
        .min();
    match family {
        Some((_, family)) => {
            let count = names.iter().filter(|known| known.starts_with(&format!("{family}."))).count();
            format!("; did you mean {family}.* ({count} checks; `puppet-lint list '{family}.*'` names them)?")
        }
        None => "; `puppet-lint list` shows every check".into(),
    }
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `*` matches any run of characters, `?` any one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_that_chooses_nothing_says_why() {
        let suites = load_suites(&[]).unwrap();
        let capability =
            suites.iter().flat_map(|suite| &suite.checks).find(|check| check.id.starts_with("capability."));
        let capability = capability.expect("the capability suite").id.clone();
        let notes = unmatched(&suites, std::slice::from_ref(&capability), &[], &[], &[]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("runs unless --no-capabilities is given: drop --no-capabilities"), "{notes:?}");
        assert!(unmatched(&suites, std::slice::from_ref(&capability), &[], &[], &["capabilities"]).is_empty());
        let notes =
            unmatched(&suites, &["events.redy".into()], &["hearbeat.interval".into()], &["heartbaet".into()], &[]);
        assert_eq!(
            notes,
            [
                "--only events.redy: no check has this id; did you mean events.ready?",
                "--skip hearbeat.interval: no check has this id, so it skips nothing; did you mean heartbeat.interval?",
                "--tag heartbaet: no check has this tag; did you mean heartbeat?",
            ]
        );
        assert!(unmatched(&suites, &["heartbeat".into()], &[], &[], &[])[0].contains("did you mean heartbeat.* ("));
        let words = unmatched(&suites, &["capability.send-text".into()], &[], &[], &["capabilities"]);
        assert!(words[0].contains("did you mean capability.send-receive-text, "), "{words:?}");
        let family = unmatched(&suites, &["capabilty.x".into()], &[], &[], &["capabilities"]);
        assert!(family[0].contains("did you mean capability.* ("), "{family:?}");
        assert!(!family[0].contains("which runs"), "{family:?}");
        let opt_in = unmatched(&suites, &["capability.x".into()], &[], &[], &[]);
        assert!(opt_in[0].ends_with("which runs unless --no-capabilities is given)"), "{opt_in:?}");
        assert!(
            unmatched(&suites, &["zzzzzzzz".into()], &[], &[], &[])[0]
                .ends_with("`puppet-lint list` shows every check")
        );
        let removed = unmatched(&suites, &["events.ready".into()], &["events.*".into()], &[], &[]);
        assert_eq!(removed, ["--skip removed every check --only chose (1)"]);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn globs_match_like_shells() {
        assert!(glob("events.*", "events.ready"));
        assert!(glob("*.ready*", "events.ready-once"));
        assert!(glob("heartbeat.?ing-dong", "heartbeat.ding-dong"));
        assert!(glob("events.ready", "events.ready"));
        assert!(!glob("events.ready", "events.ready-once"));
        assert!(!glob("message.*", "events.ready"));
        assert!(glob("*", ""));
    }

    #[test]
    fn filters_combine() {
        let suites = load_suites(&[]).unwrap();
        let ids = |plan: Vec<Planned>| plan.iter().map(|planned| planned.check.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(plan(&suites, &["events.*".into()], &["*.ready-once".into(), "*.*-*".into()], &[], &[])),
            ["events.ready", "events.resubscribe"]
        );
        assert_eq!(
            ids(plan(&suites, &[], &[], &["heartbeat".into()], &[])),
            ["filebox.ding-during-transfer", "heartbeat.interval", "heartbeat.ding-dong"]
        );
        assert!(plan(&suites, &["nothing.*".into()], &[], &[], &[]).is_empty());
        let package = ids(plan(&suites, &["package.*".into()], &[], &[], &["package"]));
        assert_eq!(
            package,
            ["package.no-runtime-dependency", "package.peer-dependencies", "package.ding-dong-example"]
        );
        assert!(
            plan(&suites, &["package.*".into()], &[], &[], &[]).is_empty(),
            "a `when: package` suite needs --package"
        );
    }
}
