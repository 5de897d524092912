#!/usr/bin/env bash
# Writes the JavaScript of the npm package's browser entry into OUT_DIR: entry.js, ONE minified ES
# module that every entry of the package shares: npm/entry.js with wasm-bindgen's glue
# (streamguard.js), its snippet (src/web/options.js) and src/web/host.js inlined, by esbuild, then
# minified again by terser (both pinned in build/tools by scripts/setup.sh). Whitespace, comments,
# local names and the module boundaries go; exports and behaviour stay. The glue's default wasm
# URL is made relative the way bundlers recognise an asset: new URL("./streamguard_bg.wasm",
# import.meta.url), kept as written by both. And index.js, npm/index.js minified (it imports
# ./entry.js). scripts/build-wasm.sh runs it into its own output folder, so every build of the
# wasm (pkg/, the package's, the benchmark's) comes with the package's browser entry next to it.
#
#   scripts/bundle-glue.sh WASM_PACK_OUT_DIR OUT_DIR [--readable]
#
# --readable: the same bundle, not minified (names and module comments kept), for CPU profiles
# (scripts/bench-browser.sh's profiling variant); never shipped or measured.
#
# Measured (gzip -9): one bundle instead of the glue, options.js, host.js, entry.js minified
# one by one: 8,624 -> 7,687 B with index.js inlined too (one gzip dictionary for all of it,
# names mangled across the module boundaries).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

command -v esbuild >/dev/null 2>&1 || { echo "bundle-glue: esbuild not found (run scripts/setup.sh)" >&2; exit 1; }
command -v terser >/dev/null 2>&1 || { echo "bundle-glue: terser not found (run scripts/setup.sh)" >&2; exit 1; }
[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$3" = --readable ]; } ||
  { echo "usage: scripts/bundle-glue.sh WASM_PACK_OUT_DIR OUT_DIR [--readable]" >&2; exit 2; }
pkg=$1
out=$2
readable=${3:-}
mkdir -p "$out"
[ -f "$pkg/streamguard.js" ] || { echo "bundle-glue: no $pkg/streamguard.js (a wasm-pack --target web output)" >&2; exit 1; }

# The snippet folder is named by a hash of the crate: npm/entry.js imports it by that name.
snippets=$(cd "$pkg/snippets" && ls -d streamguard-*)
[ "$(echo "$snippets" | wc -l)" = 1 ] || { echo "bundle-glue: expected one snippets/streamguard-* folder, got: $snippets" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$pkg/snippets" "$work/"
# host.js is not a snippet of the shipped wasm (nothing it imports comes from there once the
# `js-api` exports are left out, see Cargo.toml): it goes next to options.js, which it imports.
cp src/web/host.js "$work/snippets/$snippets/src/web/host.js"
sed "s#new URL('streamguard_bg.wasm', import.meta.url)#new URL('./streamguard_bg.wasm', import.meta.url)#" \
  "$pkg/streamguard.js" >"$work/streamguard.js"
grep -q "new URL('./streamguard_bg.wasm', import.meta.url)" "$work/streamguard.js" ||
  { echo "bundle-glue: the glue's default wasm URL was not found (wasm-bindgen changed its output?)" >&2; exit 1; }
# The glue warns when its init functions get the arguments of older wasm-bindgen versions (not
# an object); npm/entry.js always passes one ({ module }, { module_or_path }) or nothing, so
# the warnings cannot show: their text goes (70 B gzip). Each must be found once.
node -e '
  const fs = require("fs");
  const f = process.argv[1];
  let s = fs.readFileSync(f, "utf8");
  for (const w of [
    "console.warn(\x27using deprecated parameters for `initSync()`; pass a single object instead\x27)",
    "console.warn(\x27using deprecated parameters for the initialization function; pass a single object instead\x27)",
  ]) {
    if (s.split(w).length !== 2) throw new Error("bundle-glue: not found once in the glue: " + w);
    s = s.replace(w, "");
  }
  fs.writeFileSync(f, s);
' "$work/streamguard.js"
sed "s#@SNIPPETS@#$snippets#g" npm/entry.js >"$work/entry.js"
if [ -n "$readable" ]; then
  esbuild "$work/entry.js" --bundle --format=esm --target=es2022 --log-level=warning --outfile="$out/entry.js" --allow-overwrite
  cp npm/index.js "$out/index.js"
  exit 0
fi
# --target es2022: what the sources use (class fields, `??=`) is kept as written.
esbuild "$work/entry.js" --bundle --minify --format=esm --target=es2022 --log-level=warning --outfile="$work/bundle.js" --allow-overwrite
# Then terser over esbuild's output, its safe passes only (no `unsafe*` option): it folds
# more (sequences, conditionals, a second pass) and mangles better. 7,381 -> 7,153 B gzip
# (terser alone, on the unminified bundle: 7,199 B).
terser "$work/bundle.js" --module --ecma 2022 --compress passes=2 --mangle --output "$out/entry.js"
grep -q 'new URL("./streamguard_bg.wasm",import.meta.url)' "$out/entry.js" ||
  { echo "bundle-glue: the bundle lost new URL(\"./streamguard_bg.wasm\", import.meta.url)" >&2; exit 1; }
esbuild npm/index.js --minify --format=esm --target=es2022 --log-level=warning --outfile="$out/index.js" --allow-overwrite
