#!/usr/bin/env bash
# Proves the npm and Python packages of this checkout, offline, as a user
# without a Rust toolchain gets them (issue 22; docs/install.md):
#
#  1. versions: every package's is Cargo.toml's (node npm/version.mjs check);
#  2. `cargo package`, and the wheel built by maturin from the packaged crate
#     alone (one release build: the npm package carries the wheel's binary);
#  3. the Linux x64 (glibc) npm packages: the launcher and its platform package;
#  4. with no cargo or rustc on PATH, each route installed from its local file
#     into a clean directory — `npm install --offline` into a fresh `npm init -y`
#     project, `pip install --no-index` into a fresh virtualenv — runs
#     `puppet-lint --version` (must be Cargo.toml's) and
#     `puppet-lint --mock --heartbeat-window 5s` to its verdict (exit 0);
#  5. prints each route's install time and install-to-verdict time.
#
# Needs cargo, node and npm, python3 with venv, and PyPI for maturin (installed
# into a scratch virtualenv here: CI starts from a fresh clone).
#
# Environment: PACKAGING_PROFILE (cargo profile of the build, default release),
# PACKAGING_CARGO_CONFIG (one --config for cargo, e.g. to define that profile),
# PACKAGING_KEEP=DIR (build in DIR and keep it), CARGO_TARGET_DIR (default
# ./target).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

profile=${PACKAGING_PROFILE:-release}
config=()
[[ -n ${PACKAGING_CARGO_CONFIG:-} ]] && config=(--config "$PACKAGING_CARGO_CONFIG")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
if [[ -n ${PACKAGING_KEEP:-} ]]; then
  work=$PACKAGING_KEEP
  rm -rf "$work"
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

echo "== packaging: versions"
version=$(node npm/version.mjs print)
node npm/version.mjs check
want="puppet-lint $version"

echo "== packaging: cargo package"
cargo package --locked --no-verify --allow-dirty --quiet
crate=$CARGO_TARGET_DIR/package/puppet-lint-$version.crate
mkdir -p "$work/crate"
tar -xzf "$crate" -C "$work/crate" --strip-components=1

echo "== packaging: maturin"
python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.5,<2'
"$work/tools/bin/maturin" --version

echo "== packaging: the wheel, built from the packaged crate ($profile profile)"
build_start=$(now)
(cd "$work/crate" && "$work/tools/bin/maturin" build --locked --profile "$profile" "${config[@]}" --out "$work/dist")
build_end=$(now)
wheel=$(ls "$work"/dist/puppet_lint-"$version"-*.whl)
echo "built $(basename "$wheel") in $(seconds "$build_start" "$build_end") s"

echo "== packaging: the npm packages (linux x64, glibc)"
binary=$(python3 packaging/wheel-binary.py "$wheel" "$work/binary")
node npm/platform.mjs x86_64-unknown-linux-gnu "$binary" "$work/npm-platform"
npm pack --silent "$work/npm-platform" --pack-destination "$work/dist" >/dev/null
npm pack --silent "$root/npm/puppet-lint" --pack-destination "$work/dist" >/dev/null
launcher=$work/dist/puppet-lint-$version.tgz
platform=$work/dist/puppet-lint-linux-x64-gnu-$version.tgz
ls -l "$launcher" "$platform" "$wheel"

# No Rust toolchain from here on: every PATH entry with cargo or rustc is gone.
clean_path=
IFS=: read -r -a entries <<<"$PATH"
for entry in "${entries[@]}"; do
  [[ -z $entry || -e $entry/cargo || -e $entry/rustc ]] && continue
  clean_path=${clean_path:+$clean_path:}$entry
done
bare_env=(env -u CARGO_TARGET_DIR -u PIP_FIND_LINKS -u RUSTUP_HOME -u CARGO_HOME PATH="$clean_path")
bare() { "${bare_env[@]}" "$@"; }
if bare bash -c 'command -v cargo || command -v rustc'; then
  echo "packaging/check.sh: a Rust toolchain is still on PATH" >&2
  exit 1
fi

failures=0
# Runs one route's command in a directory: --version, then a short --mock run
# to its verdict. Sets $verdict_at to the time the verdict came.
prove() { # route name, directory, command...
  local name=$1 dir=$2
  shift 2
  local said
  said=$(cd "$dir" && bare "$@" --version)
  if [[ $said != "$want" ]]; then
    echo "FAIL: $name: --version says '$said', want '$want'"
    failures=$((failures + 1))
  else
    echo "$name: --version says '$said'"
  fi
  mock_start=$(now)
  if (cd "$dir" && bare "$@" --mock --heartbeat-window 5s --report-dir "$work/reports-$name") >"$work/$name-mock.log" 2>&1; then
    verdict_at=$(now)
    echo "$name: --mock passed in $(seconds "$mock_start" "$verdict_at") s: $(grep -E 'passed' "$work/$name-mock.log" | tail -1)"
  else
    verdict_at=$(now)
    echo "FAIL: $name: --mock did not pass:"
    tail -20 "$work/$name-mock.log"
    failures=$((failures + 1))
  fi
}

echo "== packaging: npm route (no Rust on PATH, offline)"
mkdir -p "$work/npm-project"
npm_start=$(now)
(cd "$work/npm-project" && bare npm init -y >/dev/null &&
  bare npm install --offline --no-audit --no-fund --cache "$work/npm-cache" "$platform" "$launcher")
npm_installed=$(now)
prove npm "$work/npm-project" npx --offline puppet-lint
npm_verdict=$verdict_at

echo "== packaging: the launcher passes arguments, stdin, exit codes and signals through"
project=$work/npm-project
launch=$project/node_modules/puppet-lint/bin/puppet-lint.js
fake=$work/fake-puppet-lint
cat >"$fake" <<'FAKE'
#!/bin/sh
printf 'arg: %s\n' "$@"
case $1 in
  code) read -r line && echo "stdin: $line"; exit "$2" ;;
  die) kill -TERM $$ ;;
  wait) # until a SIGTERM comes (30 s at most)
    trap 'echo "got TERM"; exit 143' TERM
    : >"$2"
    i=0
    while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    exit 9 ;;
esac
FAKE
chmod +x "$fake"
expect() { # what, want, have
  if [[ $2 != "$3" ]]; then
    echo "FAIL: launcher: $1: want $(printf '%q' "$2"), have $(printf '%q' "$3")"
    failures=$((failures + 1))
  fi
}
set +e
have=$(cd "$project" && echo hello | PUPPET_LINT_BINARY=$fake bare npx --offline puppet-lint code 7 'two  words' '')
expect "exit code" 7 $?
expect "arguments and stdin" "$(printf 'arg: code\narg: 7\narg: two  words\narg: \nstdin: hello')" "$have"
PUPPET_LINT_BINARY=$fake bare node "$launch" die >/dev/null 2>&1
expect "a binary killed by SIGTERM" 143 $?
# Not through the function: $! must be the launcher's own pid.
PUPPET_LINT_BINARY=$fake "${bare_env[@]}" node "$launch" wait "$work/waiting" >"$work/forward.log" 2>&1 &
launcher_pid=$!
for _ in $(seq 200); do [[ -e $work/waiting ]] && break; sleep 0.05; done
kill -TERM "$launcher_pid"
wait "$launcher_pid"
expect "SIGTERM to the launcher: exit code" 143 $?
expect "SIGTERM to the launcher: reaches the binary" "$(printf 'arg: wait\narg: %s\ngot TERM' "$work/waiting")" "$(cat "$work/forward.log")"
mv "$project/node_modules/puppet-lint-linux-x64-gnu" "$work/moved-platform"
have=$(cd "$project" && bare npx --offline puppet-lint --version 2>&1)
expect "no platform package: exit code" 2 $?
if [[ $have != *"comes in the package puppet-lint-linux-x64-gnu@$version,"* ]]; then
  echo "FAIL: launcher: no platform package: the message does not name it: $have"
  failures=$((failures + 1))
fi
mv "$work/moved-platform" "$project/node_modules/puppet-lint-linux-x64-gnu"
set -e

echo "== packaging: Python route (no Rust on PATH, offline)"
python_start=$(now)
bare python3 -m venv "$work/venv"
bare "$work/venv/bin/pip" install --quiet --no-index --disable-pip-version-check "$wheel"
python_installed=$(now)
prove python "$work" "$work/venv/bin/puppet-lint"
python_verdict=$verdict_at

echo "== packaging: figures (wall clock, s)"
printf '%-8s %8s %18s\n' route install install-to-verdict
printf '%-8s %8s %18s\n' npm "$(seconds "$npm_start" "$npm_installed")" "$(seconds "$npm_start" "$npm_verdict")"
printf '%-8s %8s %18s\n' python "$(seconds "$python_start" "$python_installed")" "$(seconds "$python_start" "$python_verdict")"
echo "(the wheel's release build, shared by both: $(seconds "$build_start" "$build_end") s)"

if ((failures > 0)); then
  echo "packaging: $failures failure(s)"
  exit 1
fi
echo "packaging: npm and wheel install offline without Rust and reach a verdict"
