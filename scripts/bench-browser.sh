#!/usr/bin/env bash
# The browser benchmark: streamguard against fetch + TextDecoder + eventsource-parser +
# JSON.parse in one headless Chromium page (benches/browser/). Needs what scripts/setup.sh
# installs; builds the product into build/bench-pkg (wasm-pack --release, as shipped) and
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

# --mode no-install: fail fast when the wasm-bindgen CLI does not match the crate (TOOLCHAIN.md).
say "building build/bench-pkg (wasm-pack build --target web --release)"
nice wasm-pack --quiet build --target web --release --mode no-install --out-dir build/bench-pkg . >&2

# The profiling variant: the cargo artifact wasm-pack just built, through wasm-bindgen and the
# wasm-opt arguments of Cargo.toml's [package.metadata.wasm-pack.profile.release] (wasm-pack's
# default -O when none are set), plus -g to keep the name section so profiles show Rust names.
wasm_opt_args=$(node -e '
  const lines = require("fs").readFileSync("Cargo.toml", "utf8").split("\n");
  let inSection = false, value = "[\"-O\"]";
  for (const l of lines) {
    if (/^\s*\[/.test(l)) inSection = l.trim() === "[package.metadata.wasm-pack.profile.release]";
    else if (inSection && /^\s*wasm-opt\s*=/.test(l)) value = l.split("=").slice(1).join("=").trim();
  }
  const args = JSON.parse(value);
  console.log(args === false ? "" : (args === true ? ["-O"] : args).join(" "));
')
say "building build/bench-pkg-profiling (the same wasm with its names; wasm-opt ${wasm_opt_args:-skipped} -g)"
wasm=${CARGO_TARGET_DIR:-$STREAMGUARD_ROOT/target}/wasm32-unknown-unknown/release/streamguard.wasm
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
