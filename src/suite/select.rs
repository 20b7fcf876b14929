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
        .map(|(suite, check)| Planned { suite: suite.clone(), check: Arc::new(check.clone()) })
        .collect()
}

/// Whether the filters choose `check`: its id matches one of `only` (or
/// there is none) and none of `skip`, and it has one of `tags` (or there is
/// none).
pub fn selects(check: &Check, only: &[String], skip: &[String], tags: &[String]) -> bool {
    (only.is_empty() || only.iter().any(|pattern| glob(pattern, &check.id)))
        && !skip.iter().any(|pattern| glob(pattern, &check.id))
        && (tags.is_empty() || check.tags.iter().any(|tag| tags.contains(tag)))
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
