#!/usr/bin/env bash
# The browser benchmark: streamguard against fetch + TextDecoder + eventsource-parser +
# JSON.parse in one headless Chromium page (benches/browser/). Needs what scripts/setup.sh
# installs; builds the product into build/bench-pkg (scripts/build-wasm.sh, as shipped) and
# build/bench-pkg-profiling (the same wasm with its function names, for --profile), builds the
# harness that serves the page and the fixtures, then runs benches/browser/bench.mjs.
# Not part of scripts/test.sh. Arguments go to bench.mjs:
#
#   scripts/bench-browser.sh                 # every row (about 5-6 minutes on 2 cores)
#   scripts/bench-browser.sh --quick         # fewer rows and rounds (about a minute)
#   scripts/bench-browser.sh --rows openai-1k,line-64k --rounds 10
#   scripts/bench-browser.sh --profile openai-1k   # CPU profile of the product arm
#   scripts/bench-browser.sh --list          # the rows
#
# The last line is `ratio_js_over_wasm_1KiB=<median>`; a text mismatch exits non-zero.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

say() { printf '\033[1mbench-browser:\033[0m %s\n' "$*" >&2; }

for tool in wasm-pack wasm-bindgen wasm-opt node npm chromium; do
  command -v "$tool" >/dev/null || { say "$tool is missing: run scripts/setup.sh first"; exit 1; }
done
# Debian's binaryen 108 corrupts wasm-bindgen output (TOOLCHAIN.md): only npm's, from setup.
case "$(command -v wasm-opt)" in
  "$STREAMGUARD_TOOLS"/*) ;;
  *) say "wasm-opt is not build/tools' (npm binaryen): run scripts/setup.sh first"; exit 1 ;;
esac

if [ ! -d benches/browser/node_modules/playwright-core ] ||
  [ ! -d benches/browser/node_modules/eventsource-parser ]; then
  say "npm ci in benches/browser"
  (cd benches/browser && npm ci --silent --no-audit --no-fund >/dev/null)
fi

say "building build/bench-pkg (scripts/build-wasm.sh: the release wasm as it ships)"
scripts/build-wasm.sh build/bench-pkg >&2

# The profiling variant: the cargo artifact scripts/build-wasm.sh just built, through
# wasm-bindgen and the same wasm-opt arguments, plus -g to keep the name section so profiles
# show Rust names.
wasm_opt_args=$(scripts/build-wasm.sh --wasm-opt-args)
say "building build/bench-pkg-profiling (the same wasm with its names; wasm-opt ${wasm_opt_args:-skipped} -g)"
wasm=${STREAMGUARD_WASM_TARGET_DIR:-$STREAMGUARD_ROOT/target/wasm-release}/wasm32-unknown-unknown/release/streamguard.wasm
rm -rf build/bench-pkg-profiling
wasm-bindgen --target web --out-dir build/bench-pkg-profiling "$wasm"
if [ -n "$wasm_opt_args" ]; then
  # shellcheck disable=SC2086 # the arguments are words
  wasm-opt $wasm_opt_args -g build/bench-pkg-profiling/streamguard_bg.wasm \
    -o build/bench-pkg-profiling/streamguard_bg.wasm
fi

say "building the harness"
nice cargo build -q -p streamguard-harness --locked >&2

exec node benches/browser/bench.mjs "$@"
