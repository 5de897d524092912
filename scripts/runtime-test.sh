#!/usr/bin/env bash
# The npm package outside the browser, installed from its packed tarball (scripts/package.sh),
# against the harness:
#   node     tests/runtimes/node.test.mjs under `node --test` (Node >= 20)
#   deno     tests/runtimes/deno.test.mjs under `deno test` (Deno 2, from npm's `deno` package)
#   workerd  tests/runtimes/workerd.test.mjs: a Worker bundled as wrangler does, run in workerd
#            through Miniflare (npm `miniflare`)
#   webkit   the browser tests tests/web_outcomes.rs and tests/web_transport.rs (or
#            $STREAMGUARD_WEBKIT_TESTS, names of tests/web_*.rs; every scenario
#            through stream({ url }), stream({ response }) and guard(), the transport cases) in
#            WebKitGTK's MiniBrowser: WebKitWebDriver under Xvfb, driven by
#            wasm-bindgen-test-runner in its Safari mode (SAFARIDRIVER_REMOTE)
#   example  examples/guard-proxy: the Node server that never orphans an upstream
#            (examples/guard-proxy/test.mjs)
# Every scenario of tests/runtimes/scenarios.mjs through stream({ url }), stream({ response })
# and guard(), the transport and bad-input cases, and for every stall and abort the harness
# confirming the close.
#
#   scripts/runtime-test.sh [node|deno|workerd|webkit|example ...]   (default: all five)
#
# The test files are copied to build/runtime-test/ (versions pinned by
# tests/runtimes/package-lock.json; `npm ci` only when the lock file changed, npm's cache in
# build/npm-cache), the tarball is installed there with `npm install --no-save`. Set
# STREAMGUARD_TARBALL to test a tarball already built. Exits non-zero on any failure; the last
# line is the summary.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$STREAMGUARD_ROOT"

src="$STREAMGUARD_ROOT/tests/runtimes"
work="$STREAMGUARD_ROOT/build/runtime-test"
export npm_config_cache="$STREAMGUARD_ROOT/build/npm-cache"
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 DENO_DIR="$STREAMGUARD_ROOT/build/deno-cache"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(node deno workerd webkit example)
lib_init runtime-test runtimes
for tool in node npm cargo; do
  command -v "$tool" >/dev/null 2>&1 || { failures+=("$tool"); finish "$tool not found (run scripts/setup.sh)"; }
done

# ---- the tarball --------------------------------------------------------------------------
start=$SECONDS
tarball=${STREAMGUARD_TARBALL:-}
if [ -z "$tarball" ]; then
  echo "== runtimes: scripts/package.sh"
  tarball=$(scripts/package.sh | tail -n 1)
fi
[ -f "$tarball" ] || { failures+=("package.sh"); finish "no tarball"; }
tarball=$(realpath "$tarball")
timing+=("package $((SECONDS - start))s")

# ---- the test app: pinned tools from the lock file, the tarball installed -------------------
mkdir -p "$work"
rm -f "$work"/*.mjs
cp "$src"/*.mjs "$src/package.json" "$src/package-lock.json" "$work/"
rm -rf "$work/examples" && mkdir -p "$work/examples" && cp -r examples/guard-proxy "$work/examples/"
npm_install "$work" "$tarball"

# The browser tests' own scenarios too (web_1mb), for the webkit suite.
start_harness --scenarios tests/web_support/scenarios
echo "== runtimes: harness at $harness_url, package $(basename "$tarball")"
export STREAMGUARD_HARNESS_URL="$harness_url" STREAMGUARD_RUNTIME_APP="$work"

suite() { # suite NAME CMD...: runs CMD in the app folder, records its time
  local name=$1 start=$SECONDS
  shift
  echo
  echo "== runtimes: $name"
  if (cd "$work" && "$@"); then
    timing+=("$name $((SECONDS - start))s")
  else
    timing+=("$name $((SECONDS - start))s (failed)")
    failures+=("$name")
  fi
}
# The browser test binaries the webkit suite runs (STREAMGUARD_WEBKIT_TESTS="web_outcomes
# web_timers ..." for others).
read -r -a webkit_tests <<<"${STREAMGUARD_WEBKIT_TESTS:-web_outcomes web_transport}"
# WebKit: Xvfb on a free display, WebKitWebDriver on a free port (both stopped by cleanup).
webkit_driver=""
start_webkit() {
  local t display="" port
  for t in Xvfb WebKitWebDriver; do
    command -v "$t" >/dev/null 2>&1 || { echo "runtime-test: $t not found (scripts/setup.sh installs xvfb and webkit2gtk-driver)"; return 1; }
  done
  setsid Xvfb -displayfd 3 -nolisten tcp 3>"$logdir/display" >"$logdir/xvfb.log" 2>&1 </dev/null &
  pids+=($!)
  for _ in $(seq 1 100); do
    display=$(tr -dc 0-9 <"$logdir/display")
    [ -n "$display" ] && break
    sleep 0.1
  done
  [ -n "$display" ] || { cat "$logdir/xvfb.log"; echo "runtime-test: Xvfb did not start"; return 1; }
  port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  DISPLAY=":$display" setsid WebKitWebDriver --port="$port" >"$logdir/webkit.log" 2>&1 </dev/null &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/status" 2>/dev/null | grep -q '"ready":true' && { webkit_driver="http://127.0.0.1:$port"; return 0; }
    sleep 0.1
  done
  cat "$logdir/webkit.log"
  echo "runtime-test: WebKitWebDriver did not start"
  return 1
}
webkit_tests() {
  [ -n "$webkit_driver" ] || return 1
  # The harness URL reaches the browser tests at build time (tests/web_support/mod.rs).
  (cd "$STREAMGUARD_ROOT" && SAFARIDRIVER_REMOTE="$webkit_driver" CARGO_TERM_COLOR=never \
    nice cargo test -p streamguard --target wasm32-unknown-unknown --locked "${webkit_tests[@]/#/--test=}")
}

reporter=(--test-reporter=dot)
for s in "${suites[@]}"; do
  case "$s" in
    node) suite node node --test "${reporter[@]}" node.test.mjs ;;
    deno) suite deno node_modules/.bin/deno test --quiet --allow-env --allow-net --allow-read deno.test.mjs ;;
    workerd) suite workerd node --test "${reporter[@]}" workerd.test.mjs ;;
    webkit) start_webkit; suite webkit webkit_tests ;;
    example) suite example node --test "${reporter[@]}" examples/guard-proxy/test.mjs ;;
    *) failures+=("$s"); echo "runtime-test: unknown suite $s (node, deno, workerd, webkit, example)" ;;
  esac
done
if [ ${#failures[@]} -eq 0 ]; then finish "ok"; else finish "FAILED"; fi
