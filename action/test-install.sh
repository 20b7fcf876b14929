#!/usr/bin/env bash
# Tests action/install.sh against a fake release served on 127.0.0.1: a fake
# action checkout (its Cargo.toml at version 9.8.7), a release directory with
# SHA256SUMS and a tarball whose `puppet-lint` is a script printing its
# version. Usage: action/test-install.sh (needs python3 and curl).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { if ! grep -qxF -- "$2" "$1"; then fail "$1 lacks line: $2"; fi; }
contains() { if ! grep -qF -- "$2" "$1"; then fail "$1 lacks: $2"; fi; }

version=9.8.7
target=x86_64-unknown-linux-gnu
# The action as GitHub checks it out: _actions/OWNER/NAME/REF.
action=$work/_actions/someone/puppet-lint/v$version
mkdir -p "$action"
printf '[package]\nname = "puppet-lint"\nversion = "%s"\n\n[dependencies]\nversion = "1"\n' "$version" >"$action/Cargo.toml"

# release/<tag>/{SHA256SUMS, puppet-lint-<target>.tar.gz}
release() { # tag, the version the binary says, target
  local dir=$work/release/$1 pack=$work/pack-$1-$3
  mkdir -p "$dir" "$pack"
  printf '#!/bin/sh\necho "puppet-lint %s"\n' "$2" >"$pack/puppet-lint"
  chmod +x "$pack/puppet-lint"
  tar -czf "$dir/puppet-lint-$3.tar.gz" -C "$pack" puppet-lint
  (cd "$dir" && sha256sum -- *.tar.gz >SHA256SUMS)
}
release "v$version" "$version" "$target"
release "v$version" "$version" aarch64-unknown-linux-gnu
release v1.0.0 1.0.0 "$target"
printf '%064d  puppet-lint-%s.tar.gz\n' 0 "$target" >"$work/release/v1.0.0/SHA256SUMS" # a tampered asset
release v2.0.0 2.0.1 "$target"                                                          # a binary of another version

# The fake release server: static files from $work/release, every request path logged.
cat >"$work/serve.py" <<'PY'
import functools, http.server, sys
root, port_file, log = sys.argv[1:4]
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        with open(log, "a") as f:
            f.write(self.path + "\n")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
python3 "$work/serve.py" "$work/release" "$work/port" "$work/requests" &
server=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
[[ -s $work/port ]] || {
  echo "FAIL: the fake release server did not start"
  exit 1
}
url=http://127.0.0.1:$(cat "$work/port")

# Runs install.sh with the given extra environment; the result is in
# $case/{stdout,code,output,path,bin}.
run() {
  local name=$1
  shift
  case=$work/case-$name
  mkdir -p "$case"
  : >"$case/output"
  : >"$case/path"
  : >"$work/requests"
  set +e
  env -i PATH=/usr/bin:/bin HOME="$case" GITHUB_ACTION_PATH="$action" GITHUB_OUTPUT="$case/output" \
    GITHUB_PATH="$case/path" PUPPET_LINT_RELEASE_URL="$url" PUPPET_LINT_INSTALL_DIR="$case/bin" \
    RUNNER_OS=Linux RUNNER_ARCH=X64 "$@" bash "$here/install.sh" >"$case/stdout" 2>&1
  echo $? >"$case/code"
  set -e
  cp "$work/requests" "$case/requests"
}
code() { [[ $(cat "$case/code") == "$1" ]] || fail "$2: exit code $(cat "$case/code"), want $1: $(cat "$case/stdout")"; }

# 1. The ref is the release tag (taken from the checkout's path): the released binary, checked, on PATH.
run release
code 0 release
check "$case/output" "installed=release"
check "$case/path" "$case/bin"
[[ $("$case/bin/puppet-lint" --version 2>&1) == "puppet-lint $version" ]] || fail "release: the installed binary is not the released one"
check "$case/requests" "/v$version/SHA256SUMS"
check "$case/requests" "/v$version/puppet-lint-$target.tar.gz"

# 2. An arm64 runner gets the arm64 asset; a moving major tag (github.action_ref v9) finds v9.8.7.
run arm64 RUNNER_ARCH=ARM64 ACTION_REF=v9 ACTION_REPOSITORY=someone/puppet-lint
code 0 arm64
check "$case/output" "installed=release"
check "$case/requests" "/v$version/puppet-lint-aarch64-unknown-linux-gnu.tar.gz"

# 3. A branch: nothing downloaded, the source build.
run branch ACTION_REF=main ACTION_REPOSITORY=someone/puppet-lint
code 0 branch
check "$case/output" "installed=none"
[[ ! -s $case/requests ]] || fail "branch: a download was tried: $(cat "$case/requests")"
[[ ! -e $case/bin/puppet-lint ]] || fail "branch: a binary was installed"

# 4. Another tag than the checkout's version (v1.0.0 with Cargo.toml at 9.8.7): the source build.
run other-tag ACTION_REF=v1.0.0 ACTION_REPOSITORY=someone/puppet-lint
code 0 other-tag
check "$case/output" "installed=none"
[[ ! -s $case/requests ]] || fail "other-tag: a download was tried"

# 5. The tag has no release there (404): the source build.
run no-release PUPPET_LINT_RELEASE_URL="$url/nowhere"
code 0 no-release
check "$case/output" "installed=none"
contains "$case/stdout" "no release v$version"

# 6. No asset for this runner (macOS): the source build.
run no-asset RUNNER_OS=macOS RUNNER_ARCH=ARM64
code 0 no-asset
check "$case/output" "installed=none"
contains "$case/stdout" "has no puppet-lint-aarch64-apple-darwin.tar.gz"

# 7. A runner no binary is built for: nothing downloaded.
run unsupported RUNNER_ARCH=ARM
code 0 unsupported
check "$case/output" "installed=none"
[[ ! -s $case/requests ]] || fail "unsupported: a download was tried"

# 8. A checksum that does not match: the step fails, nothing installed, no source build.
printf '[package]\nname = "puppet-lint"\nversion = "1.0.0"\n' >"$work/v1.toml"
cp "$action/Cargo.toml" "$work/v9.toml"
cp "$work/v1.toml" "$action/Cargo.toml"
run tampered ACTION_REF=v1.0.0 ACTION_REPOSITORY=someone/puppet-lint
code 1 tampered
contains "$case/stdout" "::error title=puppet-lint install::puppet-lint-$target.tar.gz of v1.0.0 has SHA-256"
[[ ! -s $case/output ]] || fail "tampered: an output was set: $(cat "$case/output")"
[[ ! -e $case/bin/puppet-lint ]] || fail "tampered: the binary was installed"

# 9. A binary that says another version than its tag: the step fails.
printf '[package]\nname = "puppet-lint"\nversion = "2.0.0"\n' >"$action/Cargo.toml"
run wrong-version ACTION_REF=v2.0.0 ACTION_REPOSITORY=someone/puppet-lint
code 1 wrong-version
contains "$case/stdout" "says 'puppet-lint 2.0.1', not 'puppet-lint 2.0.0'"
[[ ! -s $case/path ]] || fail "wrong-version: put on PATH"
cp "$work/v9.toml" "$action/Cargo.toml"

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "action/install.sh: all 9 cases pass"
