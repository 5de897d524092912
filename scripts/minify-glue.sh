#!/usr/bin/env bash
# Minifies the JavaScript a browser downloads, in place: every `.js` under each DIR (a wasm-pack
# output: streamguard.js and snippets/**/options.js, host.js) and every FILE named, with
# esbuild (pinned in build/tools by scripts/setup.sh) as ES modules: whitespace, comments and
# local names go; exported names, import specifiers and behaviour stay (esbuild's --minify on
# one module at a time, no bundling). scripts/package.sh runs it on the package it stages and
# scripts/web-test.sh on a copy of pkg/ for the size budget; the browser tests keep running the
# sources as written.
#
#   scripts/minify-glue.sh DIR|FILE...
#
# Measured on the glue of this crate (gzip -9 per file): streamguard.js 3,725 -> 2,528 B,
# host.js 3,244 -> 2,062 B, options.js 3,190 -> 2,213 B.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

command -v esbuild >/dev/null 2>&1 || { echo "minify-glue: esbuild not found (run scripts/setup.sh)" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: scripts/minify-glue.sh DIR|FILE..." >&2; exit 2; }

files=()
for arg in "$@"; do
  if [ -d "$arg" ]; then
    while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$arg" -name '*.js' -print0 | sort -z)
  elif [ -f "$arg" ]; then
    files+=("$arg")
  else
    echo "minify-glue: no such file or directory: $arg" >&2
    exit 1
  fi
done
for f in "${files[@]}"; do
  # --target es2022: what the sources use (class fields, `#private`, `??=`) is kept as written.
  esbuild "$f" --minify --format=esm --target=es2022 --log-level=warning --outfile="$f.min" --allow-overwrite
  mv "$f.min" "$f"
done
