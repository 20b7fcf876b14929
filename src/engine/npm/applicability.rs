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
    if !uses_puppet {
        return Some(
            "depends on no puppet package (no `wechaty-puppet` or `@<scope>/wechaty-puppet` in dependencies, \
             peerDependencies, devDependencies or optionalDependencies), so it is no puppet provider and the Puppet \
             spec's NPM Publication rules do not apply"
                .to_string(),
        );
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
