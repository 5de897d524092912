#!/usr/bin/env bash
# Builds the npm package: one tarball, `npm pack`ed, whose path is the LAST line printed on
# stdout (everything else goes to stderr).
#
#   scripts/package.sh        -> build/package/streamguard-<version>.tgz
#
# Steps: `scripts/build-wasm.sh` (the release wasm as it ships) into build/package/wasm; the package folder
# build/package/streamguard/ from the wasm, its JS glue and snippets (options.js, host.js), the
# entries in npm/ (entry.js, index.js, node.js, deno.js, workerd.js, react.js), index.d.ts
# (src/web/api.d.ts + npm/init.d.ts), react.d.ts, npm/README.md, LICENSE-MIT, LICENSE-APACHE
# and npm/package.json with the crate's version; then `npm pack`. Prints the size a browser
# downloads (wasm + glue + snippets + the browser entry, gzip -9 each). Assumes the tools of
# scripts/setup.sh (wasm-pack, wasm-bindgen, wasm-opt on PATH via scripts/env.sh).
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

log "scripts/build-wasm.sh: the release wasm as it ships (wasm-opt $(wasm-opt --version | awk '{print $3}'))"
build_log=$(mktemp)
if ! scripts/build-wasm.sh "$wasm_dir" --out-name streamguard >"$build_log" 2>&1; then
  cat "$build_log" >&2
  rm -f "$build_log"
  fail "wasm-pack build failed"
fi
rm -f "$build_log"

# The snippet folder is named by a hash of the crate: the entries import it by that name.
snippets=$(cd "$wasm_dir/snippets" && ls -d streamguard-*)
[ "$(echo "$snippets" | wc -l)" = 1 ] || fail "expected one snippets/streamguard-* folder, got: $snippets"

rm -rf "$stage"
mkdir -p "$stage"
cp "$wasm_dir/streamguard_bg.wasm" "$stage/"
cp -r "$wasm_dir/snippets" "$stage/"
# The glue's default URL, made relative the way bundlers recognise an asset:
# new URL('./streamguard_bg.wasm', import.meta.url).
sed "s#new URL('streamguard_bg.wasm', import.meta.url)#new URL('./streamguard_bg.wasm', import.meta.url)#" \
  "$wasm_dir/streamguard.js" >"$stage/streamguard.js"
grep -q "new URL('./streamguard_bg.wasm', import.meta.url)" "$stage/streamguard.js" ||
  fail "the glue's default wasm URL was not found (wasm-bindgen changed its output?)"
for f in index.js node.js deno.js workerd.js react.js react.d.ts README.md; do
  cp "npm/$f" "$stage/$f"
done
sed "s#@SNIPPETS@#$snippets#g" npm/entry.js >"$stage/entry.js"
cat src/web/api.d.ts npm/init.d.ts >"$stage/index.d.ts"
sed "s#\"version\": \"0.0.0\"#\"version\": \"$version\"#" npm/package.json >"$stage/package.json"
grep -q "\"version\": \"$version\"" "$stage/package.json" || fail "could not set the version in package.json"
cp LICENSE-MIT LICENSE-APACHE "$stage/"
# The glue and the snippets minified as they ship (after the URL rewrite above).
scripts/minify-glue.sh "$stage/streamguard.js" "$stage/snippets" || fail "scripts/minify-glue.sh failed"

# What a browser downloads with the default entry.
gz() { gzip -9c "$1" | wc -c; }
browser_js=("$stage/streamguard.js" "$stage/snippets/$snippets/src/web/options.js"
  "$stage/snippets/$snippets/src/web/host.js" "$stage/entry.js" "$stage/index.js")
js_gz=0
for f in "${browser_js[@]}"; do js_gz=$((js_gz + $(gz "$f"))); done
entry_gz=$(($(gz "$stage/entry.js") + $(gz "$stage/index.js")))
wasm_gz=$(gz "$stage/streamguard_bg.wasm")
log "size (gzip -9 per file): wasm $wasm_gz B + JS $js_gz B (glue, options.js, host.js, entry.js + index.js: $entry_gz B) = $((wasm_gz + js_gz)) B"

log "npm pack"
tarball=$(cd "$stage" && npm pack --silent --pack-destination "$out" 2>/dev/null | tail -n 1)
[ -n "$tarball" ] && [ -f "$out/$tarball" ] || fail "npm pack did not produce a tarball"
[ "$tarball" = "streamguard-$version.tgz" ] || fail "unexpected tarball name $tarball"
log "$(tar -tzf "$out/$tarball" | wc -l) files, $(wc -c <"$out/$tarball") B"
echo "$out/$tarball"
