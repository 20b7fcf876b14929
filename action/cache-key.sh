#!/usr/bin/env bash
# Writes the cache key of the puppet-lint binary to $GITHUB_OUTPUT: the OS,
# the architecture, rustc's version and a hash of the sources the action was
# checked out with (hashFiles() cannot read files outside the workspace).
set -euo pipefail
root=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
if command -v sha256sum >/dev/null; then sum=(sha256sum); else sum=(shasum -a 256); fi
sources=$(cd "$root" && { find Cargo.toml Cargo.lock build.rs src proto suites -type f 2>/dev/null || true; } | LC_ALL=C sort)
hash=$(cd "$root" && { printf '%s\n' "$sources"; printf '%s\n' "$sources" | while IFS= read -r file; do cat -- "$file"; done; } |
  "${sum[@]}" | cut -c1-40)
rustc=$(rustc --version 2>/dev/null | tr -cs 'A-Za-z0-9.\n' '-' | sed 's/-$//' || echo none)
prefix="puppet-lint-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-${rustc}-"
echo "key=${prefix}${hash}" >>"${GITHUB_OUTPUT:-/dev/stdout}"
echo "restore-key=${prefix}" >>"${GITHUB_OUTPUT:-/dev/stdout}"
