#!/usr/bin/env bash
# The README's first command: sets up what is missing, builds pkg/ (the wasm module) and the
# harness, then serves the demo page (www/), pkg/ and the mock endpoints on one loopback port
# and prints the URL. No API key or network needed: the embedded mock is the default backend.
#
#   scripts/demo.sh                 # http://127.0.0.1:8787/ (PORT=0 picks a free port)
#   scripts/demo.sh --build-only [--no-setup]   # what scripts/demo-test.sh uses
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

say() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; }

build_only=0
setup=1
for arg in "$@"; do
  case "$arg" in
    --build-only) build_only=1 ;;
    --no-setup) setup=0 ;;
    *) echo "usage: scripts/demo.sh [--build-only] [--no-setup]" >&2; exit 2 ;;
  esac
done

if [ "$setup" = 1 ] && [ -x scripts/setup.sh ]; then
  scripts/setup.sh
fi

# pkg/: the release wasm as it ships, with the npm package's browser entry next to it
# (scripts/build-wasm.sh: wasm-pack build --target web --release with the panic runtime left
# out, npm's binaryen first on PATH, then scripts/bundle-glue.sh).
say "building pkg/ (scripts/build-wasm.sh)"
scripts/build-wasm.sh pkg >&2

say "building the harness"
cargo build -q -p streamguard-harness --locked >&2

if [ "$build_only" = 1 ]; then
  exit 0
fi

HARNESS="${CARGO_TARGET_DIR:-$STREAMGUARD_ROOT/target}/debug/streamguard-harness"
say "serving www/, pkg/ and the mock endpoints; open the URL below (Ctrl-C stops)"
exec "$HARNESS" serve --host 127.0.0.1 --port "${PORT:-8787}" --static www --static pkg:/pkg
