//! npm module specifiers: Wechaty itself, the package a specifier names, relative paths, other providers.

/// `wechaty`, `wechaty/…`, `@scope/wechaty`, `@scope/wechaty/…` — not `wechaty-puppet…`.
pub(crate) fn is_wechaty_module(module: &str) -> bool {
    let rest = match module.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) if !scope.is_empty() => rest,
            _ => return false,
        },
        None => module,
    };
    rest == "wechaty" || rest.starts_with("wechaty/")
}

/// The package name of a bare module specifier: `@s/p/x` → `@s/p`, `p/x` → `p`.
pub(super) fn package_of(module: &str) -> &str {
    let mut ends = module.match_indices('/').map(|(i, _)| i);
    let end = if module.starts_with('@') { ends.nth(1) } else { ends.next() };
    end.map_or(module, |end| &module[..end])
}

pub(super) fn is_relative(module: &str) -> bool {
    module == "." || module == ".." || module.starts_with("./") || module.starts_with("../")
}

/// Another provider's puppet package: `wechaty-puppet-*` or `@scope/wechaty-puppet-*`.
pub(super) fn is_provider_package(package: &str) -> bool {
    let bare = package.split_once('/').map_or(package, |(_, rest)| rest);
    bare.starts_with("wechaty-puppet-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        for yes in ["wechaty", "wechaty/impls", "@juzi/wechaty", "@juzi/wechaty/x"] {
            assert!(is_wechaty_module(yes), "{yes}");
        }
        for no in
            ["wechaty-puppet", "@juzi/wechaty-puppet", "wechaty-puppet-mock", "wechatyx", "@/wechaty", "x/wechaty"]
        {
            assert!(!is_wechaty_module(no), "{no}");
        }
        assert_eq!(package_of("@s/p/x"), "@s/p");
        assert_eq!(package_of("p/x/y"), "p");
        assert_eq!(package_of("p"), "p");
        assert!(is_provider_package("@juzi/wechaty-puppet-service"));
        assert!(!is_provider_package("wechaty-puppet"));
    }
}
