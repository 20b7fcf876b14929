#!/usr/bin/env bash
# Runs the matrix page's script in headless Chromium (not part of `cargo test`:
# needs `apt-get install chromium`). Takes the HTML snapshot, drops its CSP so
# a test script may run after the page's own, sorts and filters through the
# page's controls, and checks the DOM that Chromium dumps.
# Usage: tests/matrix_browser.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
snapshot="$here/snapshots/matrix__html_snapshot.snap"
# The snapshot's body is everything after insta's second `---` line.
awk 'seen >= 2 { print; next } /^---$/ { seen++ }' "$snapshot" >"$out/matrix.html"
sed -e '/Content-Security-Policy/d' -e 's#<head>#<head><script>window.errors = []; addEventListener("error", (e) => errors.push(e.message));</script>#' \
  -e "s#</body>#<script>$(tr -d '\n' <"$here/matrix_browser.js")</script></body>#" "$out/matrix.html" >"$out/harness.html"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --virtual-time-budget=2000 \
  --dump-dom "file://$out/harness.html" 2>/dev/null >"$out/dom.html"
result=$(sed -n 's#.*<pre id="test-result">\([^<]*\)</pre>.*#\1#p' "$out/dom.html")
echo "$result"
[[ "$result" == "ok "* ]]
