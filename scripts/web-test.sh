#!/usr/bin/env bash
# Browser tests and wasm size. Builds pkg/ as it ships (scripts/build-wasm.sh), prints the .wasm
# and the npm package's browser JS (entry.js: the glue, options.js, host.js and npm/entry.js in
# one minified module; index.js; written next to the wasm by scripts/build-wasm.sh, with
# scripts/bundle-glue.sh, as scripts/package.sh ships them) sizes raw and gzipped, and FAILS when
# together they exceed the ceiling below (the 35 KB (35840 B) gzip target is printed, met or not);
# prints twiggy's top items by retained size; compile-checks tests/ts/api.ts against
# pkg/index.d.ts (tsc --noEmit --strict); runs the browser tests (tests/web_*.rs) with
# `wasm-pack test --headless --chrome` and `--firefox`, exactly as a developer types them: the
# browser wrappers named in webdriver.json start the harness (scripts/web-harness.sh) on its fixed
# port, and it is stopped at the end. Exits non-zero on any failure. Idempotent; assumes
# scripts/setup.sh installed the tools.
#
#   scripts/web-test.sh                  everything
#   WEB_TEST_BROWSERS=chrome scripts/web-test.sh      one browser (chrome | firefox)
#   WEB_TEST_FILTER=stall scripts/web-test.sh         only tests whose name contains it
#   WEB_TEST_FILES="web_transport web_abort" scripts/web-test.sh   only these test files
#   STREAMGUARD_HARNESS_URL=http://127.0.0.1:PORT     another harness port (build and run)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

export CARGO_TERM_COLOR=never
# Each tests/web_*.rs is one browser session; the timer tests take seconds each.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"
browsers="${WEB_TEST_BROWSERS:-chrome firefox}"
filter="${WEB_TEST_FILTER:-}"
budget=35840 # the target: 35 KB gzip -9, wasm + JS glue + npm entry
# The ceiling the run enforces until the target is met: the size as measured when the ceiling
# was last lowered, plus under 1 KB. It only ever goes down: a change that grows the download
# past it fails the run. (Today's size is about 13 KB over the target; see README, Size.)
ceiling=49055
status=0
failures=()

step() { printf '\n== web: %s\n' "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "web-test: $1 not found (run scripts/setup.sh)"; exit 1; }
}
need wasm-pack
need wasm-bindgen
need wasm-opt
need tsc
need twiggy
for b in $browsers; do
  case $b in
    chrome) need chromedriver ;;
    firefox) need geckodriver ;;
    *) echo "web-test: unknown browser $b"; exit 1 ;;
  esac
done

# ---- build and size ------------------------------------------------------------------------
step "scripts/build-wasm.sh pkg (wasm-pack build --target web --release, wasm-opt $(wasm-opt --version | awk '{print $3}'))"
rm -rf pkg
build_log=$(mktemp)
if ! scripts/build-wasm.sh pkg >"$build_log" 2>&1; then
  cat "$build_log"
  rm -f "$build_log"
  echo "web-test: scripts/build-wasm.sh failed"
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
# The JS as the npm package ships it (build-wasm.sh bundles it next to the wasm; scripts/package.sh
# copies the same files).
size_line "pkg/streamguard_bg.wasm" pkg/streamguard_bg.wasm
size_line "JS: entry.js (glue + options + host)" pkg/entry.js
size_line "JS: index.js (the browser entry)" pkg/index.js
if [ "$gz_total" -le "$budget" ]; then
  verdict="within the $budget B target"
elif [ "$gz_total" -le "$ceiling" ]; then
  verdict="NOT within the $budget B target: over by $((gz_total - budget)) B; within the $ceiling B ceiling"
else
  verdict="OVER the $ceiling B ceiling by $((gz_total - ceiling)) B (target $budget B)"
  status=1
  failures+=("size")
fi
printf '%-38s %8s        %7d B gzip (%s)\n' "wasm + JS" "" "$gz_total" "$verdict"

# The shipped wasm has no names; profile the same build with its names kept (wasm-bindgen
# --keep-debug, then the release wasm-opt pass with -g).
step "twiggy top (retained bytes, the release wasm with names)"
named=$(mktemp -d)
if wasm-bindgen "${STREAMGUARD_WASM_TARGET_DIR:-target/wasm-release}/wasm32-unknown-unknown/release/streamguard.wasm" \
  --out-dir "$named" --target web --keep-debug &&
  wasm-opt $(scripts/build-wasm.sh --wasm-opt-args) -g "$named/streamguard_bg.wasm" -o "$named/named.wasm"; then
  twiggy top --retained -n 40 "$named/named.wasm" |
    grep -vE "table\[|elem\[|function names|custom section|export \"" | head -n 18
else
  echo "twiggy: could not build the named wasm"
fi
rm -rf "$named"

# ---- TypeScript ----------------------------------------------------------------------------
step "tsc --noEmit --strict tests/ts/api.ts against pkg/index.d.ts"
if tsc -p tests/ts/tsconfig.json; then
  echo "tsc: ok"
else
  echo "tsc: FAILED"
  status=1
  failures+=("tsc")
fi

# ---- browser tests -------------------------------------------------------------------------
# The harness binary the browser wrappers start; a harness left from an older build is stopped.
step "harness (started by the browser wrappers at $(scripts/web-harness.sh url))"
cargo build -q -p streamguard-harness --locked || { echo "web-test: harness build failed"; exit 1; }
scripts/web-harness.sh stop
trap 'scripts/web-harness.sh stop' EXIT

# One wasm-pack run per test file, so a file that fails does not keep the later ones from
# running. A file whose test page never ran is run again (at most twice more), and only then:
# wasm-bindgen-test-runner's own HTTP server (tiny_http 0.12) now and then leaves a request
# for one of the page's modules unanswered, so the page never runs (the module's request
# unread in its socket). It hit web_transport, the one file that loaded a JavaScript snippet
# of its own, in 8 of 18 page loads; since all the tests' JavaScript is one module
# (tests/web_support/helpers.js), in none of 16. The rerun stays as the net: webdriver.json
# caps a page load at 30 s (not 300), and a page that has not said "Loading Wasm module..."
# 45 s after its runner started the browser never will: its runner is stopped (instead of
# waiting out WASM_BINDGEN_TEST_TIMEOUT). A test that ran and failed is never run again.

# Whether the test page of log $1 never loaded: its runner started the browser, and the page
# never said "Loading Wasm module...".
page_never_loaded() {
  grep -q 'Running headless tests' "$1" && ! grep -q 'Loading Wasm module' "$1"
}

# The processes under $1 in its session (the harness the browser wrapper started has its own).
kill_tree() {
  local sid c
  sid=$(ps -o sid= -p "$1" | tr -d ' ')
  for c in $(ps -o pid= --ppid "$1"); do
    [ "$(ps -o sid= -p "$c" | tr -d ' ')" = "$sid" ] && kill_tree "$c"
  done
  kill "$1" 2>/dev/null
}

# `wasm-pack ARGS` for test file $2 with its output shown and kept in $1; returns its status.
# A test page stuck before its first test (above) has its runner, driver and browser stopped.
run_file() {
  local log=$1 file=$2 pid shown waited=0 runner
  shift 2
  wasm-pack "$@" >"$log" 2>&1 &
  pid=$!
  tail -n +1 -f --pid="$pid" "$log" &
  shown=$!
  while kill -0 "$pid" 2>/dev/null; do
    if page_never_loaded "$log"; then
      waited=$((waited + 1))
      if [ "$waited" -eq 45 ]; then
        for runner in $(pgrep -f "wasm-bindgen-test-runner .*/deps/$file-[0-9a-f]*\.wasm"); do kill_tree "$runner"; done
      fi
    fi
    sleep 1
  done
  wait "$pid"
  local rc=$?
  wait "$shown" 2>/dev/null
  return "$rc"
}

files=()
for f in tests/web_*.rs; do files+=("$(basename "$f" .rs)"); done
[ -n "${WEB_TEST_FILES:-}" ] && read -ra files <<<"$WEB_TEST_FILES"
summaries=()
for b in $browsers; do
  name=$([ "$b" = chrome ] && echo chromium || echo firefox)
  step "wasm-pack test --headless --$b (tests/web_*.rs, one file at a time)"
  passed=0
  failed=0
  reruns=0
  bad=()
  for t in "${files[@]}"; do
    for attempt in 1 2 3; do
      log=$(mktemp)
      args=(test --headless "--$b" --mode no-install -- --locked --test "$t")
      [ -n "$filter" ] && args+=(-- "$filter")
      run_file "$log" "$t" "${args[@]}"
      rc=$?
      if [ "$rc" -ne 0 ] && [ "$attempt" -lt 3 ] && page_never_loaded "$log"; then
        echo "web-test: $t in $name: the test page never ran (the runner's server left a module request unanswered); running it again"
        reruns=$((reruns + 1))
        rm -f "$log"
        continue
      fi
      break
    done
    p=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
    f=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      f=1 # a file that did not run to its summary (build error, timeout, driver)
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$rc" -ne 0 ] && bad+=("$t")
    rm -f "$log"
  done
  line="$name: $passed passed, $failed failed"
  [ "$reruns" -gt 0 ] && line+=" ($reruns rerun(s) of a file whose page never loaded)"
  summaries+=("$line")
  if [ ${#bad[@]} -gt 0 ]; then
    status=1
    failures+=("$name (${bad[*]})")
  fi
done

echo
printf 'size: wasm + JS glue + npm entry %d B gzip (budget %d B: %s)\n' "$gz_total" "$budget" "$verdict"
for s in "${summaries[@]}"; do echo "$s"; done
[ ${#failures[@]} -gt 0 ] && echo "web-test: FAILED: ${failures[*]}"
exit "$status"
