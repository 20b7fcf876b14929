//! The npm publication rules on the package directory (`--package DIR`):
//! `npm_rule` (judged by [`crate::engine::npm`] from package.json and a real
//! syntax tree of the example), and the generic `expect_json` and
//! `expect_text` on any file of the package.

use serde_json::Value;

use super::{CheckRun, Failure, Kind, Stepped};
use crate::engine::npm::{self, Judgement, Package};
use crate::suite::{NpmRule, PackageAction, Template};

impl CheckRun {
    pub(super) fn package_step(&mut self, action: &PackageAction) -> Result<Stepped, Failure> {
        match action {
            PackageAction::ExpectJson { file, present, absent, message } => {
                self.expect_json(file, present, absent, message.as_deref())?;
            }
            PackageAction::ExpectText { file, matches, not_matches } => self.expect_text(file, matches, not_matches)?,
            PackageAction::NpmRule { rule, file } => self.npm_rule(*rule, file.as_ref())?,
        }
        Ok(Stepped::nothing())
    }

    /// A file of the package under check, and its text.
    fn package_file(&self, file: &Template) -> Result<(String, String), Failure> {
        let directory = self.package_dir()?;
        let name = self.render(file)?;
        let path = std::path::Path::new(&directory).join(&name);
        if !crate::input::stays_within(&path, std::path::Path::new(&directory)) {
            return Err(Failure::fail(
                format!("{name} leads outside the package"),
                format!("{name} in the package ({directory})"),
                "a link to a file outside the package: a published package holds its files itself".to_owned(),
            ));
        }
        match crate::input::read_to_string(&path, crate::input::cap::PACKAGE_FILE) {
            Ok(text) => Ok((name, text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(Failure::fail(
                format!("{name} is missing"),
                format!("{name} in the package ({directory})"),
                format!("there is no {}", path.display()),
            )),
            Err(error) => Err(Failure::error(format!("cannot read {}: {error}", path.display()))),
        }
    }

    fn expect_json(
        &self,
        file: &Template,
        present: &[Template],
        absent: &[Template],
        message: Option<&str>,
    ) -> Result<(), Failure> {
        let (name, text) = self.package_file(file)?;
        let value: Value = serde_json::from_str(&text).map_err(|error| {
            let reason = error.to_string();
            let reason = reason.split(" at line ").next().unwrap_or(&reason);
            let problem = format!("{name}:{}:{}: not valid JSON: {reason}", error.line(), error.column());
            Failure::fail(problem.clone(), format!("{name} is valid JSON"), problem)
        })?;
        let mut problems = Vec::new();
        for pointer in present {
            let pointer = self.render(pointer)?;
            if value.pointer(&pointer).is_none() {
                problems.push(format!("`{pointer}` is missing"));
            }
        }
        for pointer in absent {
            let pointer = self.render(pointer)?;
            if value.pointer(&pointer).is_some() {
                problems.push(format!("`{pointer}` is set, and must not be"));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let render_all = |list: &[Template]| -> Vec<String> {
            list.iter().filter_map(|pointer| self.render(pointer).ok()).collect()
        };
        let expected =
            format!("in {name}: {} set; {} not set", render_all(present).join(", "), render_all(absent).join(", "));
        let summary = match message {
            Some(message) => format!("{message}: {}", problems.join("; ")),
            None => format!("{name}: {}", problems.join("; ")),
        };
        Err(Failure::fail(summary, expected, problems.join("; ")))
    }

    fn expect_text(
        &self,
        file: &Template,
        matches: &[crate::suite::Pattern],
        not_matches: &[crate::suite::Pattern],
    ) -> Result<(), Failure> {
        let (name, text) = self.package_file(file)?;
        let line_of = |offset: usize| text[..offset].lines().count().max(1);
        let mut problems = Vec::new();
        for pattern in matches {
            if !pattern.regex.is_match(&text) {
                problems.push(format!("it never {}", pattern.meaning));
            }
        }
        for pattern in not_matches {
            if let Some(found) = pattern.regex.find(&text) {
                problems.push(format!("{name}:{}: it {}", line_of(found.start()), pattern.meaning));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let wanted: Vec<&str> = matches.iter().map(|pattern| pattern.meaning.as_str()).collect();
        Err(Failure::fail(
            format!("{name}: {}", problems.join("; ")),
            format!(
                "{name} {}; and never: {}",
                wanted.join(", "),
                not_matches.iter().map(|pattern| pattern.meaning.as_str()).collect::<Vec<_>>().join(", ")
            ),
            problems.join("; "),
        ))
    }

    /// One npm publication rule: a pass (maybe with a note), every finding
    /// of a failure (violations first, then what is missing), or a skip
    /// saying why the rule cannot apply.
    fn npm_rule(&mut self, rule: NpmRule, file: Option<&Template>) -> Result<(), Failure> {
        let directory = self.package_dir()?;
        let package = Package::read(std::path::Path::new(&directory)).map_err(|finding| {
            Failure::fail(finding.to_string(), format!("a package directory at {directory}"), finding.to_string())
        })?;
        let (judgement, expected) = match rule {
            NpmRule::RuntimeDependencies => (
                npm::judge_runtime_dependencies(&package),
                "neither wechaty-puppet nor wechaty (nor a scoped fork) in dependencies, optionalDependencies or bundleDependencies".to_owned(),
            ),
            NpmRule::PeerDependencies => (
                npm::judge_peer_and_dev_dependencies(&package),
                "wechaty-puppet and wechaty in peerDependencies and devDependencies".to_owned(),
            ),
            NpmRule::DingDongExample => {
                let example = match file {
                    Some(file) => self.render(file)?,
                    None => npm::DING_DONG_EXAMPLE.to_owned(),
                };
                let expected = format!(
                    "{example} constructs the package's own puppet, recognises `ding` in a message handler and answers `dong` with the puppet API (messageSendText), never importing wechaty"
                );
                (npm::judge_ding_dong_example(&package, &example), expected)
            }
        };
        match judgement {
            Judgement::Pass { note } => {
                self.note = note;
                Ok(())
            }
            Judgement::Skip { reason } => {
                Err(Failure { kind: Kind::Skip, ..Failure::fail(reason.clone(), expected, reason) })
            }
            Judgement::Fail { findings } => {
                let listed: Vec<String> = findings.iter().map(ToString::to_string).collect();
                Err(Failure::fail(listed.join("; "), expected, listed.join("; ")))
            }
        }
    }

    /// The package directory (`--package DIR`).
    fn package_dir(&self) -> Result<String, Failure> {
        self.scope
            .get("package")
            .and_then(|fields| fields.get(""))
            .cloned()
            .ok_or_else(|| Failure::error("no package directory: give one with --package DIR"))
    }
}
