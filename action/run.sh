#!/usr/bin/env bash
# The action's run step (see action.yml): runs puppet-lint with the inputs
# from INPUT_* variables, prints the failures as GitHub annotations, sets the
# step's outputs and exits with puppet-lint's exit code.
#
# The token comes in WECHATY_PUPPET_SERVICE_TOKEN, which puppet-lint reads
# itself: it is never on a command line. puppet-lint appends summary.md to
# $GITHUB_STEP_SUMMARY on its own, so this script does not.
set -uo pipefail
shopt -u nullglob
set -f # globs in inputs (`--only 'events.*'`) go to puppet-lint as they are

dir=${INPUT_REPORT_DIR:-reports}
[[ -n $dir ]] || dir=reports
output=${GITHUB_OUTPUT:-/dev/null}

if [[ -n ${WECHATY_PUPPET_SERVICE_TOKEN:-} ]]; then
  # Masked in the log even when the workflow passed a plain string, not a secret.
  while IFS= read -r line; do
    [[ -n $line ]] && echo "::add-mask::$line"
  done <<<"$WECHATY_PUPPET_SERVICE_TOKEN"
else
  unset WECHATY_PUPPET_SERVICE_TOKEN
fi

args=(--report-dir "$dir")
[[ -n ${INPUT_ENDPOINT:-} ]] && args+=(--endpoint "$INPUT_ENDPOINT")
# A list input: one item a line, or separated by spaces or commas.
words() { tr ',\n\t' '   ' <<<"${1:-}"; }
for suite in $(words "${INPUT_SUITE:-}"); do args+=(--suite "$suite"); done
for glob in $(words "${INPUT_ONLY:-}"); do args+=(--only "$glob"); done
for glob in $(words "${INPUT_SKIP:-}"); do args+=(--skip "$glob"); done
read -r -a extra <<<"$(tr '\n\t' '  ' <<<"${INPUT_ARGS:-}")"
args+=("${extra[@]}")

echo "puppet-lint ${args[*]}"
puppet-lint "${args[@]}"
code=$?

annotate() {
  if ! puppet-lint report "$1" --format github; then
    echo "::warning title=puppet-lint::could not render the annotations of $1"
  fi
}

report="$dir/report.json"
if [[ -f $report ]]; then
  annotate "$report"
elif [[ -f $dir/matrix.json ]]; then
  # Several targets (--targets, repeated --endpoint): one report per target.
  for each in "$dir"/*/report.json; do
    [[ -f $each ]] && annotate "$each"
  done
  report="$dir/matrix.json"
else
  report=
fi

{
  echo "exit-code=$code"
  echo "report=$report"
} >>"$output"
exit "$code"
