//! Whether the NPM Publication rules apply to a directory at all, and whether its example can be judged there.

use super::manifest::{Base, DECLARING_SECTIONS, Manifest, Node, truthy};
use super::{Package, SKIPPED_DIRECTORIES};

/// Why none of the rules apply (a private package, or one that is no puppet provider), if so.
pub(crate) fn skip_all(manifest: &Manifest) -> Option<String> {
    if let Some(member) = manifest.member("private")
        && let Some(value) = manifest.value().get("private")
        && truthy(value)
    {
        let seen = serde_json::to_string(value).unwrap_or_default();
        let how = if matches!(member.value, Node::Bool(true)) {
            String::new()
        } else {
            " — not `true`, but truthy, and npm refuses to publish a package whose `private` is truthy".to_string()
        };
        return Some(format!(
            "a private package (`\"private\": {seen}` at {}{how}) is not published to npm, so the Puppet spec's NPM \
             Publication rules do not apply",
            manifest.locate(member.key_offset)
        ));
    }
    let uses_puppet = DECLARING_SECTIONS
        .iter()
        .any(|section| manifest.declared_names(section).iter().any(|(n, _)| Base::Puppet.matches(n)));
    if !uses_puppet && presents_as_puppet(manifest).is_none() {
        return Some(
            "depends on no puppet package (no `wechaty-puppet` or `@<scope>/wechaty-puppet` in dependencies, \
             peerDependencies, devDependencies or optionalDependencies), so it is no puppet provider and the Puppet \
             spec's NPM Publication rules do not apply"
                .to_string(),
        );
    }
    None
}

/// How a package presents itself as a Wechaty puppet, if it does: its name
/// (`wechaty-puppet-zoom`, `@scope/wechaty-puppet-zoom`), its description or
/// its keywords. Such a package is judged even before it depends on
/// `wechaty-puppet`, so that its author is told what is missing.
pub(crate) fn presents_as_puppet(manifest: &Manifest) -> Option<String> {
    let text = |key: &str| manifest.value().get(key).and_then(|value| value.as_str()).map(str::to_owned);
    if let Some(name) = text("name") {
        let bare = name.rsplit('/').next().unwrap_or(&name);
        if bare.starts_with("wechaty-puppet-") && (name == bare || name.starts_with('@')) {
            return Some(format!("its name `{name}`"));
        }
    }
    let says_puppet = |words: &str| {
        let words = words.to_ascii_lowercase();
        words.contains("wechaty-puppet") || (words.contains("wechaty") && words.contains("puppet"))
    };
    if let Some(description) = text("description")
        && says_puppet(&description)
    {
        return Some("its description".to_owned());
    }
    let keywords = manifest.value().get("keywords").and_then(|keywords| keywords.as_array());
    let keywords: Vec<&str> = keywords.into_iter().flatten().filter_map(|keyword| keyword.as_str()).collect();
    if says_puppet(&keywords.join(" ")) {
        return Some("its keywords".to_owned());
    }
    None
}

/// Why the directory looks like an installed copy of the package (from node_modules or a tarball), if it does.
pub(crate) fn installed_copy(package: &Package) -> Option<String> {
    let why = if let Some(member) = package
        .manifest()
        .ok()
        .and_then(|manifest| {
            ["_resolved", "_integrity", "_from"].into_iter().find_map(|key| manifest.member(key).map(|m| (manifest, m)))
        })
        .map(|(manifest, member)| {
            format!(
                "its package.json has `{}` (at {}), which npm writes when it installs a package",
                member.key,
                manifest.locate(member.key_offset)
            )
        }) {
        member
    } else if package.has_top_directory("dist")
        && !package.has_top_directory("src")
        && !package.has_top_directory("examples")
    {
        "it has dist/ but neither src/ nor examples/".to_string()
    } else {
        return None;
    };
    Some(format!(
        "this directory looks like an installed copy of the package ({why}); the published package does not ship \
         the example, so point puppet-lint at the provider's source repository"
    ))
}

/// Files whose name looks like the ding-dong example (`ding-dong.ts`, `DingDongBot.js`, …), other than `example`.
pub(crate) fn near_misses<'p>(package: &'p Package, example: &str) -> Vec<&'p str> {
    package
        .files()
        .iter()
        .map(String::as_str)
        .filter(|file| *file != example)
        .filter(|file| {
            let name = file.rsplit('/').next().unwrap_or(file);
            let squeezed: String =
                name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
            squeezed.contains("dingdong")
        })
        .filter(|file| !file.split('/').any(|part| SKIPPED_DIRECTORIES.contains(&part)))
        .collect()
}
