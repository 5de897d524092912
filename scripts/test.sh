#!/usr/bin/env bash
# The README's test command: sets up whatever is missing, then runs every check and test.
# Every step runs even when an earlier one failed; the last line is the summary.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

"$STREAMGUARD_ROOT/scripts/setup.sh" || { echo "setup failed"; echo "summary: 0 passed, 1 failed"; exit 1; }

passed=0
failed=0
failures=()
run() {
  local name=$1
  shift
  printf '\n\033[1m== %s\033[0m\n' "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    printf '== %s: ok (%ss)\n' "$name" "$((SECONDS - start))"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf '== %s: FAILED (%ss)\n' "$name" "$((SECONDS - start))"
  fi
}

export CARGO_TERM_COLOR=never
run "fmt" cargo fmt --all -- --check
run "clippy native" cargo clippy --workspace --all-targets --locked -- -D warnings
run "clippy wasm32" cargo clippy -p streamguard --target wasm32-unknown-unknown --lib --tests --locked -- -D warnings
run "doc" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
run "native tests" cargo test --workspace --locked
run "core on wasm32" cargo build -p streamguard --target wasm32-unknown-unknown --release --locked
# The core's unit tests compiled for wasm32, run in Node's WASI (scripts/wasi-run.mjs).
run "core unit tests on wasm32 (node)" cargo test -p streamguard --lib --target wasm32-wasip1 --locked
run "parser bench" cargo bench -p streamguard --bench parser --locked
run "scenarios (native client)" cargo run -q -p streamguard-harness --locked -- run
run "chaos (2,000 seeded random streams)" cargo run -q -p streamguard-harness --locked -- chaos --seeds 2000
run "fuzz smoke (every target, seconds each)" scripts/fuzz-smoke.sh
[ -x scripts/web-test.sh ] && run "browser tests (chromium, firefox) and size" scripts/web-test.sh
[ -x scripts/demo-test.sh ] && run "demo in headless chromium" scripts/demo-test.sh
run "leak soak (300 streams each in chromium and firefox)" scripts/soak.sh --short
run "npm package: tarball, tsc --strict of the READMEs, Vite/webpack/Next.js/React apps in chromium" scripts/package-test.sh
run "runtimes: the tarball in Node, Deno, workerd and WebKit, the guard-proxy example" scripts/runtime-test.sh

echo
if [ "$failed" -gt 0 ]; then
  echo "failed steps: ${failures[*]}"
fi
echo "summary: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
