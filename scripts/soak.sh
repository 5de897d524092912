#!/usr/bin/env bash
# The leak soak in real browsers: builds the npm package as it ships (scripts/package.sh, whose
# wasm comes from scripts/build-wasm.sh) and the harness, unpacks the tarball into
# build/soak/package, and runs tests/soak/soak.mjs: one page in headless Chromium, then one in
# headless Firefox, each running a 200-stream warm-up and then N streams (half in sequence, half
# in waves of 50 concurrent) mixing every outcome, every way of leaving a stream and seeded
# random request faults. Per browser it prints the streams run, the outcomes by kind against
# the expected ones, what the product left pending (timers, frames, listeners, reader locks,
# reads, fetches), the connections the harness saw closed and still open, the wasm memory and the JS heap (after a forced GC) after the
# warm-up and after the run, each figure with its check; it fails when any check fails.
#
#   scripts/soak.sh [--short]   300 streams per browser: the test command's pass/fail step
#   scripts/soak.sh --long      1,000 streams per browser: the figures per 1,000 streams
#   scripts/soak.sh --long --streams 5000 --browsers firefox    (any tests/soak/soak.mjs argument)
#
# Assumes the tools of scripts/setup.sh (wasm-pack, chromium + chromedriver, firefox-esr +
# geckodriver, node). No npm dependency: tests/soak/webdriver.mjs speaks W3C WebDriver with
# Node's fetch.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

say() { printf 'soak: %s\n' "$*" >&2; }

streams=300
case "${1:-}" in
  --short) shift ;;
  --long) streams=1000; shift ;;
esac
for tool in node chromedriver geckodriver firefox-esr chromium; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool not found (run scripts/setup.sh)"; exit 1; }
done

say "building the harness"
nice cargo build -q -p streamguard-harness --locked
harness="${CARGO_TARGET_DIR:-$STREAMGUARD_ROOT/target}/debug/streamguard-harness"

say "building the npm package (scripts/package.sh)"
mkdir -p build/soak
if ! tarball=$(scripts/package.sh 2>build/soak/package.log | tail -n 1); then
  cat build/soak/package.log >&2
  say "scripts/package.sh failed"
  exit 1
fi
pkg="$STREAMGUARD_ROOT/build/soak/package"
rm -rf "$pkg"
tar -xzf "$tarball" -C "$(dirname "$pkg")" # the tarball's files are under package/

say "$streams streams per browser after a 200-stream warm-up"
exec node tests/soak/soak.mjs --pkg "$pkg" --harness "$harness" --streams "$streams" --warmup 200 "$@"
