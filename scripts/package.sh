#!/usr/bin/env bash
# Builds the npm package: one tarball, `npm pack`ed, whose path is the LAST line printed on
# stdout (everything else goes to stderr).
#
#   scripts/package.sh        -> build/package/streamguard-<version>.tgz
#
# Steps: `scripts/build-wasm.sh` (the shipped release wasm) into build/package/wasm; the package
# folder build/package/streamguard/ from the wasm and what build-wasm.sh wrote next to it:
# entry.js, one minified module of npm/entry.js with the wasm's JS glue, options.js and host.js
# inlined, index.js minified (scripts/bundle-glue.sh), and index.d.ts (src/web/api.d.ts +
# npm/init.d.ts); the other entries in npm/ (node.js, deno.js, workerd.js, react.js), react.d.ts,
# npm/README.md, LICENSE-MIT, LICENSE-APACHE and npm/package.json with the crate's version; then
# `npm pack`. Prints the size a browser downloads (wasm + entry.js + index.js, gzip -9 each).
# Assumes the tools of scripts/setup.sh (wasm-pack, wasm-bindgen, wasm-opt, esbuild on PATH via
# scripts/env.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

log() { printf 'package: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}
for tool in wasm-pack wasm-bindgen wasm-opt npm gzip; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (run scripts/setup.sh)"
done

out="$STREAMGUARD_ROOT/build/package"
wasm_dir="$out/wasm"
stage="$out/streamguard"
version=$(awk '/^\[package\]/ { p = 1; next } /^\[/ { p = 0 } p && /^version *=/ { gsub(/version *= *|"/, ""); print; exit }' Cargo.toml)
[ -n "$version" ] || fail "no [package] version in Cargo.toml"

log "scripts/build-wasm.sh (wasm-pack build --target web --release, wasm-opt $(wasm-opt --version | awk '{print $3}'))"
build_log=$(mktemp)
if ! scripts/build-wasm.sh "$wasm_dir" --out-name streamguard >"$build_log" 2>&1; then
  cat "$build_log" >&2
  rm -f "$build_log"
  fail "scripts/build-wasm.sh failed"
fi
rm -f "$build_log"

rm -rf "$stage"
mkdir -p "$stage"
# build-wasm.sh wrote the browser entry (entry.js, index.js: scripts/bundle-glue.sh) and
# index.d.ts next to the wasm.
for f in streamguard_bg.wasm entry.js index.js index.d.ts; do
  cp "$wasm_dir/$f" "$stage/$f"
done
for f in node.js deno.js workerd.js react.js react.d.ts README.md; do
  cp "npm/$f" "$stage/$f"
done
sed "s#\"version\": \"0.0.0\"#\"version\": \"$version\"#" npm/package.json >"$stage/package.json"
grep -q "\"version\": \"$version\"" "$stage/package.json" || fail "could not set the version in package.json"
cp LICENSE-MIT LICENSE-APACHE "$stage/"

# What a browser downloads with the default entry.
gz() { gzip -9c "$1" | wc -c; }
js_gz=$(($(gz "$stage/entry.js") + $(gz "$stage/index.js")))
wasm_gz=$(gz "$stage/streamguard_bg.wasm")
log "size (gzip -9 per file): wasm $wasm_gz B + JS $js_gz B (entry.js: the glue, options.js, host.js; index.js) = $((wasm_gz + js_gz)) B"

log "npm pack"
tarball=$(cd "$stage" && npm pack --silent --pack-destination "$out" 2>/dev/null | tail -n 1)
[ -n "$tarball" ] && [ -f "$out/$tarball" ] || fail "npm pack did not produce a tarball"
[ "$tarball" = "streamguard-$version.tgz" ] || fail "unexpected tarball name $tarball"
log "$(tar -tzf "$out/$tarball" | wc -l) files, $(wc -c <"$out/$tarball") B"
echo "$out/$tarball"
