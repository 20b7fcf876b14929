#!/usr/bin/env bash
# Tests action/run.sh as GitHub would run it, against a fake puppet-lint on
# PATH that records its arguments and environment, writes a canned
# report.json and prints canned annotations. Usage: action/test-run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { if ! grep -qxF -- "$2" "$1"; then fail "$1 lacks line: $2"; fi; }
refute() { if grep -qF -- "$2" "$1"; then fail "$1 contains: $2"; fi; }

mkdir -p "$work/bin"
cat >"$work/bin/puppet-lint" <<'FAKE'
#!/usr/bin/env bash
if [[ $1 == report ]]; then
  printf '%s\n' "$@" >"$FAKE_DIR/report-args"
  echo "::error title=events.ready::Ready is emitted: no ready event"
  exit 0
fi
printf '%s\n' "$@" >"$FAKE_DIR/args"
printf '%s' "${WECHATY_PUPPET_SERVICE_TOKEN-<unset>}" >"$FAKE_DIR/token"
dir=reports
while [[ $# -gt 0 ]]; do
  [[ $1 == --report-dir ]] && dir=$2
  shift
done
if [[ ${FAKE_WRITE:-1} == 1 ]]; then
  mkdir -p "$dir"
  echo '{"schema":"puppet-lint/report","schema_version":1}' >"$dir/report.json"
  [[ -n ${GITHUB_STEP_SUMMARY:-} ]] && echo "## fake summary" >>"$GITHUB_STEP_SUMMARY"
fi
echo "checklist printed by the fake"
exit "${FAKE_EXIT:-0}"
FAKE
chmod +x "$work/bin/puppet-lint"

# Runs run.sh in a fresh workspace with the given extra environment; the
# result is in $case/{stdout,code,output,summary,args,token}.
run() {
  local name=$1
  shift
  case=$work/$name
  mkdir -p "$case/workspace"
  touch "$case/workspace/events.ready" # a glob input must not expand to it
  : >"$case/output"
  : >"$case/summary"
  set +e
  (cd "$case/workspace" && env -i PATH="$work/bin:/usr/bin:/bin" HOME="$case" FAKE_DIR="$case" \
    GITHUB_OUTPUT="$case/output" GITHUB_STEP_SUMMARY="$case/summary" "$@" bash "$here/run.sh") >"$case/stdout" 2>&1
  echo $? >"$case/code"
  set -e
}

# 1. A failing run with every input.
run failing FAKE_EXIT=1 WECHATY_PUPPET_SERVICE_TOKEN='puppet_secret_token' INPUT_ENDPOINT='svc.example:8788' \
  INPUT_SUITE=$'suites/a.yaml\nsuites/b.yaml' INPUT_ONLY='events.*, message.*' INPUT_SKIP='heartbeat.*' \
  INPUT_ARGS='--allow-destructive  --timeout 30s' INPUT_REPORT_DIR='out/reports'
[[ $(cat "$case/code") == 1 ]] || fail "failing: exit code $(cat "$case/code"), want 1"
printf '%s\n' --report-dir out/reports --endpoint svc.example:8788 --suite suites/a.yaml --suite suites/b.yaml \
  --only 'events.*' --only 'message.*' --skip 'heartbeat.*' --allow-destructive --timeout 30s >"$case/want-args"
diff -u "$case/want-args" "$case/args" || fail "failing: arguments differ"
[[ $(cat "$case/token") == puppet_secret_token ]] || fail "failing: the token did not reach puppet-lint's environment"
refute "$case/args" puppet_secret_token
check "$case/stdout" "::add-mask::puppet_secret_token"
refute "$case/stdout" "puppet-lint --report-dir out/reports --endpoint svc.example:8788 --suite suites/a.yaml --token"
check "$case/stdout" "::error title=events.ready::Ready is emitted: no ready event"
printf '%s\n' report out/reports/report.json --format github >"$case/want-report-args"
diff -u "$case/want-report-args" "$case/report-args" || fail "failing: report arguments differ"
check "$case/output" "exit-code=1"
check "$case/output" "report=out/reports/report.json"
[[ $(grep -c 'fake summary' "$case/summary") == 1 ]] || fail "failing: the step summary is not there exactly once"

# 2. A passing run without a token: defaults, and no empty token exported.
run passing WECHATY_PUPPET_SERVICE_TOKEN=''
[[ $(cat "$case/code") == 0 ]] || fail "passing: exit code $(cat "$case/code"), want 0"
printf '%s\n' --report-dir reports >"$case/want-args"
diff -u "$case/want-args" "$case/args" || fail "passing: arguments differ"
[[ $(cat "$case/token") == '<unset>' ]] || fail "passing: an empty token was passed on"
refute "$case/stdout" "::add-mask::"
check "$case/output" "exit-code=0"
check "$case/output" "report=reports/report.json"

# 3. Nothing ran (a usage error): no report, no annotations, puppet-lint's code.
run usage FAKE_EXIT=2 FAKE_WRITE=0
[[ $(cat "$case/code") == 2 ]] || fail "usage: exit code $(cat "$case/code"), want 2"
[[ ! -e $case/report-args ]] || fail "usage: annotations rendered without a report"
check "$case/output" "exit-code=2"
check "$case/output" "report="

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "action/run.sh: all 3 cases pass"
