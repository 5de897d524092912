#!/usr/bin/env bash
# The release wasm as it ships: `wasm-pack build --target web --release` into OUT_DIR (default
# pkg/), with the panic runtime left out, then wasm-opt with its import and export names
# minified and the glue made to match (below). Every script that builds the shipped package calls
# this (web-test.sh, bench-browser.sh, demo.sh, package.sh); extra arguments go to wasm-pack
# build (e.g. --out-name NAME).
#
#   scripts/build-wasm.sh [OUT_DIR] [wasm-pack build arguments...]
#   scripts/build-wasm.sh --wasm-opt-args   # prints the wasm-opt passes of Cargo.toml (without
#                                           # the minified names), for a build of the same wasm
#                                           # with names
#
# Why a script: `panic = "abort"` alone still links the standard library's panic machinery
# (the message formatting of every `expect`, overflow and bounds check: core::fmt, Display
# impls, location strings). `-Cpanic=immediate-abort` with the standard library rebuilt for it
# (`-Zbuild-std`) makes a panic one `unreachable` instruction: 3.7 KB gzip less wasm (measured
# on this crate: 51,515 -> 47,758 B gzip). Both are nightly-only flags; RUSTC_BOOTSTRAP=1 lets
# the pinned stable toolchain accept them (as scripts/fuzz-smoke.sh does for cargo-fuzz), and
# `rustup component add rust-src` (scripts/setup.sh) provides the library source. Only this
# build uses them: native builds, the tests (`wasm-pack test`, `cargo test --target wasm32-*`,
# whose panics must print) and the harness keep the standard stable toolchain and profile.
# The core never panics on input (no unwrap or indexing that input can reach; fuzzed), so a
# panic here would be a bug either way; in the browser it surfaces as a RuntimeError
# ("unreachable") from the call that hit it instead of a message.
#
# `-Ctarget-feature=-reference-types`: no externref table; wasm-bindgen's glue keeps JS values
# in its own array instead (the same API and behaviour): 394 B gzip less in all (wasm 44,510 ->
# 44,053 B, entry.js 7,715 -> 7,778 B).
#
# `--cfg streamguard_speed`: the functions on every read's and event's path are optimised for
# speed inside the opt-level "z" crate (`#[optimize(speed)]`, see src/lib.rs; 602 B gzip for
# 6-9% less time per stream). Cargo.toml builds the dependencies, the standard library among
# them, at opt-level 2: smaller and faster than "z" for them (together: +219 B, 6-13%).
#
# Measured and not kept: `-Zinline-mir=no` (rustc's MIR inliner off): 156 B gzip less wasm but
# 2-4% more time (Node A/B, medians of 15-21 interleaved runs: tiny 116.5 -> 121.7 ms, anthropic
# at 16 KiB reads 11.3 -> 11.7-11.8, openai 25.0 -> 25.1); `-Cllvm-args=-inline-threshold=0`:
# -225 B, 3-6% more time; `-Zmir-opt-level=1`: -24 B; `-Ctarget-feature=-multivalue`: +44 B
# with the glue; `-Zfmt-debug=none`, `-Zlocation-detail=none`: 0 B (nothing of either is left).
#
# The Rust API of the browser layer (feature `rust-api`, on by default for Rust users) is left
# out: no JS export reaches it, but the Guard's Rust sink kept it linked (1,226 B gzip). So are
# the `js-api` exports (`stream`, `open`, `guard`): the package builds them in JS around the
# Guard (npm/entry.js); 757 B gzip in all (wasm 43,561 -> 43,108 B, entry.js 7,153 -> 6,849 B).
#
# It builds in its own target directory (target/wasm-release): the flags differ from every
# other build, and sharing target/ would rebuild the dependencies each time they alternate.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

# [package.metadata.wasm-pack.profile.release] wasm-opt = ["-Os", ...] -> -Os ...
wasm_opt_args() {
  awk '/^\[/ { s = ($0 == "[package.metadata.wasm-pack.profile.release]") }
    s && /^wasm-opt *=/ { sub(/^[^=]*= */, ""); gsub(/[][",]/, " "); $1 = $1; print }' Cargo.toml
}
if [ "${1:-}" = "--wasm-opt-args" ]; then
  wasm_opt_args
  exit 0
fi

out=${1:-pkg}
[ $# -gt 0 ] && shift

export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Ctarget-feature=-reference-types --cfg streamguard_speed"
export CARGO_TARGET_DIR="${STREAMGUARD_WASM_TARGET_DIR:-$STREAMGUARD_ROOT/target/wasm-release}"
# --mode no-install: fail fast when the wasm-bindgen CLI does not match the crate (TOOLCHAIN.md).
# --no-opt: wasm-opt runs below instead, to keep the map of the names it minifies.
nice wasm-pack --quiet build --target web --release --mode no-install --no-opt --out-dir "$out" "$@" . \
  -- --no-default-features -Zbuild-std=std,panic_abort

# wasm-opt (the first on PATH: npm's binaryen from build/tools, env.sh) with the passes listed in
# Cargo.toml, as wasm-pack runs them, then --minify-imports-and-exports-and-modules: one-letter
# import, export and module names instead of wasm-bindgen's (`__wbg_t_<16 hex digits>` under
# "./streamguard_bg.js", `guard_feed`), which the .wasm and the glue both spell out; the glue is
# rewritten to match by scripts/minify-glue.mjs. 970 B gzip less download: the wasm 44,134 ->
# 43,561 B, the bundled JS (entry.js) 7,778 -> 7,381 B. wasm-opt prints the map (old -> new
# names) on stdout.
# streamguard_bg.wasm.d.ts (the exports' old names, for bundlers that import the .wasm as a
# module; the glue does not) would be wrong: it is removed.
wasm=$(echo "$out"/*_bg.wasm)
[ -f "$wasm" ] || { echo "build-wasm: expected one $out/*_bg.wasm, got: $wasm" >&2; exit 1; }
map=$(mktemp)
trap 'rm -f "$map"' EXIT
# shellcheck disable=SC2046 # one argument per word
wasm-opt "$wasm" -o "$wasm" $(wasm_opt_args) --minify-imports-and-exports-and-modules >"$map"
node scripts/minify-glue.mjs "${wasm%_bg.wasm}.js" "$wasm" "$map"
rm -f "$wasm.d.ts"

# The npm package's browser entry next to the wasm (entry.js, index.js: scripts/bundle-glue.sh)
# and its declarations (index.d.ts, as scripts/package.sh ships them): OUT_DIR then serves the
# package's API as is (`import { stream } from "./pkg/index.js"`), without the `js-api` exports
# the shipped wasm leaves out (Cargo.toml).
scripts/bundle-glue.sh "$out" "$out"
cat src/web/api.d.ts npm/init.d.ts >"$out/index.d.ts"
