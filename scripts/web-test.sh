#!/usr/bin/env bash
# Browser tests and wasm size. Builds pkg/ (wasm-pack --target web --release) and prints the
# .wasm and JS glue sizes raw and gzipped; compile-checks tests/ts/api.ts against
# pkg/streamguard.d.ts (tsc --noEmit --strict); starts the harness; runs the browser tests
# (tests/web_*.rs) in headless Chromium and headless Firefox; stops the harness.
# Exits non-zero on any failure. Idempotent; assumes scripts/setup.sh installed the tools.
#
#   scripts/web-test.sh                  everything
#   WEB_TEST_BROWSERS=chrome scripts/web-test.sh      one browser (chrome | firefox)
#   WEB_TEST_FILTER=stall scripts/web-test.sh         only tests whose name contains it
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

export CARGO_TERM_COLOR=never
# Each tests/web_*.rs is one browser session; the timer tests take seconds each.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"
browsers="${WEB_TEST_BROWSERS:-chrome firefox}"
filter="${WEB_TEST_FILTER:-}"
status=0

step() { printf '\n== web: %s\n' "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "web-test: $1 not found (run scripts/setup.sh)"; exit 1; }
}
need wasm-pack
need wasm-opt
need tsc
for b in $browsers; do
  case $b in
    chrome) need chromedriver ;;
    firefox) need geckodriver ;;
    *) echo "web-test: unknown browser $b"; exit 1 ;;
  esac
done

# ---- build and size ------------------------------------------------------------------------
step "wasm-pack build --target web --release (wasm-opt $(wasm-opt --version | awk '{print $3}'))"
rm -rf pkg
build_log=$(mktemp)
if ! wasm-pack build --target web --release --mode no-install >"$build_log" 2>&1; then
  cat "$build_log"
  rm -f "$build_log"
  echo "web-test: wasm-pack build failed"
  exit 1
fi
rm -f "$build_log"

step "size"
gz_total=0
size_line() {
  local label=$1
  shift
  local raw gz
  raw=$(cat "$@" | wc -c)
  gz=$(for f in "$@"; do gzip -9c "$f"; done | wc -c)
  printf '%-38s %8d B raw  %7d B gzip\n' "$label" "$raw" "$gz"
  gz_total=$((gz_total + gz))
}
glue=(pkg/streamguard.js)
while IFS= read -r -d '' f; do glue+=("$f"); done < <(find pkg/snippets -name '*.js' -print0 2>/dev/null | sort -z)
size_line "pkg/streamguard_bg.wasm" pkg/streamguard_bg.wasm
size_line "JS glue (streamguard.js + snippets)" "${glue[@]}"
budget=$((35 * 1024))
if [ "$gz_total" -le "$budget" ]; then verdict="within"; else verdict="OVER by $((gz_total - budget)) B"; fi
printf '%-38s %8s        %7d B gzip (budget %d B: %s)\n' "wasm + JS glue" "" "$gz_total" "$budget" "$verdict"

# ---- TypeScript ----------------------------------------------------------------------------
step "tsc --noEmit --strict tests/ts/api.ts against pkg/streamguard.d.ts"
if tsc -p tests/ts/tsconfig.json; then
  echo "tsc: ok"
else
  echo "tsc: FAILED"
  status=1
fi

# ---- harness -------------------------------------------------------------------------------
step "harness"
cargo build -q -p streamguard-harness --locked || { echo "web-test: harness build failed"; exit 1; }
harness_out=$(mktemp)
harness_err=$(mktemp)
target/debug/streamguard-harness serve --port 0 --quiet \
  --scenarios tests/web_support/scenarios >"$harness_out" 2>"$harness_err" &
harness_pid=$!
cleanup() {
  kill "$harness_pid" 2>/dev/null
  wait "$harness_pid" 2>/dev/null
  rm -f "$harness_out" "$harness_err"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -s "$harness_out" ] && break
  kill -0 "$harness_pid" 2>/dev/null || break
  sleep 0.1
done
STREAMGUARD_HARNESS_URL=$(head -1 "$harness_out")
if [ -z "$STREAMGUARD_HARNESS_URL" ]; then
  echo "web-test: the harness did not start:"
  cat "$harness_err"
  exit 1
fi
export STREAMGUARD_HARNESS_URL
echo "harness at $STREAMGUARD_HARNESS_URL (pid $harness_pid)"

# ---- browser tests -------------------------------------------------------------------------
summaries=()
for b in $browsers; do
  name=$([ "$b" = chrome ] && echo chromium || echo firefox)
  step "browser tests in headless $name"
  log=$(mktemp)
  args=(test --headless "--$b" --mode no-install)
  if [ -n "$filter" ]; then
    wasm-pack "${args[@]}" -- --locked --test 'web_*' -- "$filter" 2>&1 | tee "$log"
  else
    wasm-pack "${args[@]}" -- --locked --test 'web_*' 2>&1 | tee "$log"
  fi
  rc=${PIPESTATUS[0]}
  passed=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
  failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # a binary that did not run to its summary (build error, timeout, driver)
  fi
  summaries+=("$name: $passed passed, $failed failed")
  [ "$rc" -ne 0 ] && status=1
  rm -f "$log"
done

echo
for s in "${summaries[@]}"; do echo "$s"; done
exit "$status"
