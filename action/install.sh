#!/usr/bin/env bash
# The action's install step (see action.yml): installs the released
# puppet-lint binary of the action's ref, when the ref is a release tag with a
# binary for this runner, after checking its SHA-256 against the release's
# SHA256SUMS. Writes `installed=release` or `installed=none` to $GITHUB_OUTPUT;
# with `none` the action builds puppet-lint from its own source instead.
#
# The ref is a release when it is the tag `v<version>` of the version in the
# action's Cargo.toml, or a `v<major>` / `v<major>.<minor>` tag of that
# version (a moving tag). A branch, a commit or any other tag builds from source.
#
# Environment:
#   GITHUB_ACTION_PATH        the action's checkout (Cargo.toml's version)
#   ACTION_REF, ACTION_REPOSITORY
#                             the action's ref and owner/name (github.action_ref,
#                             github.action_repository; when empty, taken from
#                             GITHUB_ACTION_PATH, .../OWNER/NAME/REF)
#   PUPPET_LINT_RELEASE_URL   where releases are downloaded from: the asset is
#                             $PUPPET_LINT_RELEASE_URL/<tag>/<asset>
#                             (default https://github.com/OWNER/NAME/releases/download)
#   PUPPET_LINT_INSTALL_DIR   where the binary goes (default $RUNNER_TOOL_CACHE or
#                             $HOME, under puppet-lint/<version>/<target>); added to $GITHUB_PATH
#   RUNNER_OS, RUNNER_ARCH    the runner's (set by GitHub; uname when unset)
#
# A download that is missing (no release, no asset for this runner) falls back
# to the source build; a checksum that does not match fails the step.
set -euo pipefail

root=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
output=${GITHUB_OUTPUT:-/dev/stdout}
none() {
  echo "puppet-lint: $1; building from source"
  echo "installed=none" >>"$output"
  exit 0
}

version=$(awk '/^\[/ {package = ($0 == "[package]")} package && /^version *=/ {gsub(/^version *= *"|".*$/, ""); print; exit}' "$root/Cargo.toml")
[[ -n $version ]] || none "no version in $root/Cargo.toml"

ref=${ACTION_REF:-}
repository=${ACTION_REPOSITORY:-}
if [[ -z $ref || -z $repository ]]; then
  # GitHub checks an action out at RUNNER/_actions/OWNER/NAME/REF.
  ref=${ref:-$(basename "$root")}
  repository=${repository:-$(basename "$(dirname "$(dirname "$root")")")/$(basename "$(dirname "$root")")}
fi
tag=v$version
case $ref in
  "$tag") ;;
  v[0-9]* | v[0-9]*.[0-9]*)
    if [[ ! $ref =~ ^v[0-9]+(\.[0-9]+)?$ || $tag != "$ref".* ]]; then
      none "the action's ref $ref is not the release $tag of its Cargo.toml"
    fi
    ;;
  *) none "the action's ref ${ref:-(unknown)} is no release tag" ;;
esac

os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case $os in
  Linux)
    libc=gnu
    if ldd --version 2>&1 | grep -qi musl; then libc=musl; fi
    case $arch in
      X64 | x86_64) target=x86_64-unknown-linux-$libc ;;
      ARM64 | aarch64 | arm64) target=aarch64-unknown-linux-$libc ;;
      *) none "no released binary for $os $arch" ;;
    esac
    ;;
  macOS | Darwin)
    case $arch in
      X64 | x86_64) target=x86_64-apple-darwin ;;
      ARM64 | arm64 | aarch64) target=aarch64-apple-darwin ;;
      *) none "no released binary for $os $arch" ;;
    esac
    ;;
  Windows | MINGW* | MSYS* | CYGWIN*)
    case $arch in
      X64 | x86_64) target=x86_64-pc-windows-msvc ;;
      *) none "no released binary for $os $arch" ;;
    esac
    ;;
  *) none "no released binary for $os $arch" ;;
esac
exe=puppet-lint
[[ $target == *windows* ]] && exe=puppet-lint.exe

base=${PUPPET_LINT_RELEASE_URL:-https://github.com/$repository/releases/download}
asset=puppet-lint-$target.tar.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"; }
if ! fetch "$base/$tag/SHA256SUMS" "$work/SHA256SUMS" 2>"$work/error"; then
  none "no release $tag at $base ($(tr '\n' ' ' <"$work/error"))"
fi
if ! fetch "$base/$tag/$asset" "$work/$asset" 2>"$work/error"; then
  none "release $tag has no $asset ($(tr '\n' ' ' <"$work/error"))"
fi

want=$(awk -v asset="$asset" '$2 == asset || $2 == "*" asset {print $1; exit}' "$work/SHA256SUMS")
if [[ -z $want ]]; then
  echo "::error title=puppet-lint install::$tag's SHA256SUMS lists no $asset" >&2
  exit 1
fi
if command -v sha256sum >/dev/null; then
  have=$(sha256sum "$work/$asset" | cut -d' ' -f1)
else
  have=$(shasum -a 256 "$work/$asset" | cut -d' ' -f1)
fi
if [[ $have != "$want" ]]; then
  echo "::error title=puppet-lint install::$asset of $tag has SHA-256 $have, SHA256SUMS says $want: not installed" >&2
  exit 1
fi

dir=${PUPPET_LINT_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-$HOME}/puppet-lint/$version/$target}
mkdir -p "$work/unpacked" "$dir"
tar -xzf "$work/$asset" -C "$work/unpacked"
if [[ ! -f $work/unpacked/$exe ]]; then
  echo "::error title=puppet-lint install::$asset of $tag holds no $exe" >&2
  exit 1
fi
chmod 755 "$work/unpacked/$exe"
said=$("$work/unpacked/$exe" --version)
if [[ $said != "puppet-lint $version" ]]; then
  echo "::error title=puppet-lint install::the binary of $tag says '$said', not 'puppet-lint $version'" >&2
  exit 1
fi
install -m 755 "$work/unpacked/$exe" "$dir/$exe"
echo "$dir" >>"${GITHUB_PATH:-/dev/null}"
echo "puppet-lint: installed $said ($target) from $base/$tag"
echo "installed=release" >>"$output"
