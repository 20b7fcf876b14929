//! The package family's actions: `expect_json`, `expect_text`, `npm_rule`; regular expressions.

use super::*;
use crate::suite::doc::{ExpectJsonDoc, ExpectTextDoc, NpmRuleDoc};

impl Compiler<'_> {
    pub(super) fn expect_json(
        &mut self,
        json: ExpectJsonDoc,
        names: &Names,
        cx: &mut StepContext,
        location: &Location,
    ) -> Parts {
        cx.condition = self.condition(&json.condition, names);
        let file = self.template(&json.file, names, cx);
        let pointers = |compiler: &mut Self, list: &[Located<String>]| -> Vec<Template> {
            list.iter()
                .map(|pointer| {
                    if !pointer.value.starts_with('/') {
                        let at = compiler.at(pointer);
                        compiler.error(at, format!("`{}` is not a JSON pointer: it starts with `/`", pointer.value));
                    }
                    compiler.template(pointer, names, cx)
                })
                .collect()
        };
        let present = pointers(self, &json.present);
        let absent = pointers(self, &json.absent);
        if present.is_empty() && absent.is_empty() {
            self.error(location.clone(), "expect_json needs `present` or `absent` pointers");
        }
        (
            json.condition,
            None,
            None,
            Action::Package(PackageAction::ExpectJson { file, present, absent, message: json.message }),
        )
    }

    pub(super) fn expect_text(&mut self, text: ExpectTextDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&text.condition, names);
        let file = self.template(&text.file, names, cx);
        let matches = text.matches.iter().filter_map(|pattern| self.pattern(pattern)).collect();
        let not_matches = text.not_matches.iter().filter_map(|pattern| self.pattern(pattern)).collect();
        (text.condition, None, None, Action::Package(PackageAction::ExpectText { file, matches, not_matches }))
    }

    pub(super) fn npm_rule(&mut self, npm: NpmRuleDoc, names: &Names, cx: &mut StepContext) -> Parts {
        cx.condition = self.condition(&npm.condition, names);
        let rule = match npm.rule.value.as_str() {
            "runtime-dependencies" => Some(NpmRule::RuntimeDependencies),
            "peer-dependencies" => Some(NpmRule::PeerDependencies),
            "ding-dong-example" => Some(NpmRule::DingDongExample),
            other => {
                let location = self.at(&npm.rule);
                self.error(
                    location,
                    format!(
                        "unknown npm rule `{other}`: write runtime-dependencies, peer-dependencies or ding-dong-example"
                    ),
                );
                None
            }
        };
        let file = npm.file.as_ref().map(|file| self.template(file, names, cx));
        if file.is_some() && rule != Some(NpmRule::DingDongExample) {
            let location = self.at(&npm.rule);
            self.error(location, "`file` is for the ding-dong-example rule only");
        }
        (
            npm.condition,
            None,
            None,
            Action::Package(PackageAction::NpmRule { rule: rule.unwrap_or(NpmRule::RuntimeDependencies), file }),
        )
    }

    /// `REGEX # what it means`: the regex must compile.
    fn pattern(&mut self, located: &Located<String>) -> Option<Pattern> {
        let (regex, meaning) = match located.value.split_once(" # ") {
            Some((regex, meaning)) => (regex.trim(), meaning.trim().to_owned()),
            None => (located.value.trim(), format!("/{}/", located.value.trim())),
        };
        match regex::Regex::new(regex) {
            Ok(regex) => Some(Pattern { regex, meaning }),
            Err(error) => {
                let location = self.at(located);
                let first = error.to_string().lines().last().unwrap_or_default().trim().to_owned();
                self.error(location, format!("`{regex}` is not a regular expression: {first}"));
                None
            }
        }
    }
}
