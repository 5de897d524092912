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
#   scripts/bench-browser.sh --baseline /tmp/pkg-old --rows openai-1k,line-16k
#                                            # A/B: another build (scripts/build-wasm.sh DIR,
#                                            # e.g. from an older commit) as a fourth arm
#
# --baseline DIR: DIR is a wasm-pack --target web output (streamguard.js, streamguard_bg.wasm).
# Every row but the frame row then also runs it, same options and same text check, in the same
# rounds as the working tree's build, and an A/B table (base ms, product ms, base/product per
# round: > 1 means the working tree is faster) follows the floor table, with
# `ab_base_over_product_median=<median of the rows' medians>` just before the last line.
# On a shared, noisy machine this in-run comparison is the one to trust, not two separate runs.
#
# The last line is `ratio_js_over_wasm_1KiB=<median>`; a text mismatch exits non-zero.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { printf '\033[1mbench-browser:\033[0m %s\n' "$*" >&2; }

# --baseline DIR: resolved against the caller's directory (before the cd below) and checked
# before anything is built; bench.mjs gets the absolute path.
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--baseline" ]; then
    [ $# -ge 2 ] || { say "--baseline needs a directory (a wasm-pack --target web output)"; exit 2; }
    baseline=$2
    for f in streamguard.js streamguard_bg.wasm; do
      [ -f "$baseline/$f" ] || {
        say "--baseline $baseline: no $f there (build one with scripts/build-wasm.sh DIR)"
        exit 2
      }
    done
    args+=(--baseline "$(cd "$baseline" && pwd)")
    shift 2
  else
    args+=("$1")
    shift
  fi
done
set -- ${args[@]+"${args[@]}"}

cd "$STREAMGUARD_ROOT"

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
# The package's browser entry around it, as build-wasm.sh writes one for build/bench-pkg, not
# minified (the profile names host.js's functions).
scripts/bundle-glue.sh build/bench-pkg-profiling build/bench-pkg-profiling --readable

say "building the harness"
nice cargo build -q -p streamguard-harness --locked >&2

exec node benches/browser/bench.mjs "$@"
