#!/usr/bin/env bash
# The demo in a real browser: builds pkg/ and the harness, serves www/, pkg/ and the mock
# endpoints on a free loopback port, and runs tests/e2e/demo.test.mjs (playwright-core driving
# the system Chromium) against it. Screenshots: build/screenshots/. Last line: the summary.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

fail() {
  echo "demo-test: $*" >&2
  echo "demo: 0 passed, 1 failed"
  exit 1
}

# Set up only what is missing (scripts/test.sh has usually run setup already).
if ! command -v wasm-pack >/dev/null || ! command -v wasm-bindgen >/dev/null ||
  [ ! -d tests/e2e/node_modules/playwright-core ]; then
  if [ -x scripts/setup.sh ]; then scripts/setup.sh || fail "setup failed"; fi
fi
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  (cd tests/e2e && npm ci --silent --no-audit --no-fund) || fail "npm ci in tests/e2e failed"
fi

scripts/demo.sh --build-only --no-setup || fail "build failed"

HARNESS="${CARGO_TARGET_DIR:-$STREAMGUARD_ROOT/target}/debug/streamguard-harness"
logdir=$(mktemp -d)
"$HARNESS" serve --host 127.0.0.1 --port 0 --static www --static pkg:/pkg >"$logdir/stdout" 2>"$logdir/stderr" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  rm -rf "$logdir"
}
trap cleanup EXIT

# The first stdout line is the bound URL, written once the socket listens.
url=""
for _ in $(seq 1 300); do
  url=$(head -n 1 "$logdir/stdout" 2>/dev/null)
  case "$url" in http://*) break ;; esac
  url=""
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  cat "$logdir/stderr" >&2
  fail "the harness did not print its URL"
fi
echo "demo-test: harness at $url" >&2

node tests/e2e/demo.test.mjs "$url/"
status=$?
if [ "$status" -ne 0 ]; then
  echo "demo-test: harness log (last 30 lines):" >&2
  tail -n 30 "$logdir/stderr" >&2
fi
exit "$status"
