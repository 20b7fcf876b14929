#!/usr/bin/env bash
# The memory and disk budgets of issue 19, measured by hand (not a timed test):
#   benches/budgets.sh [BINARY]        (default: target/debug/puppet-lint; a release build is smaller)
# Prints, for each case, the peak RSS (`/usr/bin/time -v`, "Maximum resident set size") and what it wrote.
# MOCK=OTHER_BINARY serves the provider (an older checker has no `big-events` fault). Needs GNU time at /usr/bin/time. Everything listens on 127.0.0.1 only; temporary files go under $TMPDIR.
set -euo pipefail
BIN=${1:-target/debug/puppet-lint}
BIN=$(realpath "$BIN")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/puppet-lint-budgets.XXXXXX")
TOKEN=insecure_mock-4f1e2a9c
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

peak() { # command... → "peak RSS MiB, exit code"
  local code=0
  /usr/bin/time -v -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || code=$?
  local kib; kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")
  echo "peak RSS $((kib / 1024)) MiB, exit $code"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== a provider streaming big events (mock --fault big-events: 32 x 3 MiB; --fault huge-payload: one 8 MiB)"
for fault in big-events huge-payload; do
  port=$(free_port)
  "${MOCK:-$BIN}" mock --listen "127.0.0.1:$port" --fault "$fault" --heartbeat-interval 2s >/dev/null 2>&1 &
  PIDS+=($!)
  sleep 1
  echo "$fault: $(peak "$BIN" --endpoint "127.0.0.1:$port" --no-tls --token "$TOKEN" --heartbeat-window 20s \
    --only 'heartbeat.interval' --only 'payloads.*' --report-dir "$WORK/run-$fault" --quiet)"
  echo "  timeline.jsonl: $(stat -c %s "$WORK/run-$fault/timeline.jsonl") bytes;" \
    "recording_trimmed: $(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('recording_trimmed'))" \
      "$WORK/run-$fault/report.json")"
  echo "  rejudge: $(peak "$BIN" rejudge "$WORK/run-$fault" --no-report --quiet)"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
done

echo "== file inputs over their caps, refused at once"
head -c $((17 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/report.json"            # report cap 16 MiB
echo "report (17 MiB report.json): $(peak "$BIN" report "$WORK/report.json")"
mkdir -p "$WORK/package" && head -c $((5 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/package/package.json" # 4 MiB
echo "package (5 MiB package.json): $(peak "$BIN" package "$WORK/package")"
head -c $((5 << 20)) /dev/zero | tr '\0' '#' >"$WORK/suite.yaml"               # suite cap 4 MiB
echo "suite (5 MiB): $(peak "$BIN" list --suite "$WORK/suite.yaml")"
mkdir -p "$WORK/sparse" && truncate -s 1G "$WORK/sparse/timeline.jsonl"       # recording cap 65 MiB
echo "rejudge (1 GiB sparse recording): $(peak "$BIN" rejudge "$WORK/sparse" --no-report)"
mkdir -p "$WORK/line" && head -c $((5 << 20)) /dev/zero | tr '\0' 'x' >"$WORK/line/timeline.jsonl" # line cap 4 MiB
echo "rejudge (one 5 MiB line): $(peak "$BIN" rejudge "$WORK/line" --no-report)"
echo "report (/dev/zero): $(peak "$BIN" report /dev/zero)"

echo "== the registry under 2,000 sockets and 8 unfinished 60 MiB messages"
echo "   cargo test --locked --test it -- registry::the_registry_stays_small --nocapture (prints its peak RSS)"
