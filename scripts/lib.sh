# What the test scripts that drive servers share (scripts/package-test.sh,
# scripts/runtime-test.sh): a log folder and the servers they start, stopped on exit; the
# failures and timings of their steps and the summary line that ends them; npm installs from a
# lock file; the harness on a free port. Sourced, not run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   lib_init NAME LABEL   # NAME prefixes messages ("package-test"), LABEL the summary ("package")
#
# Globals it sets and its callers use: logdir, pids (add every background server's pid: cleanup
# kills its process group), failures, timing, harness_url (after start_harness).

lib_init() {
  lib_name=$1
  lib_label=$2
  pids=()
  failures=()
  timing=()
  logdir=$(mktemp -d)
  trap lib_cleanup EXIT
}

lib_cleanup() {
  local p
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$logdir"
}

# finish MESSAGE: prints the timings, the failures and the summary line "LABEL: MESSAGE", and
# exits non-zero when a step failed.
finish() {
  echo
  echo "times: ${timing[*]}"
  [ ${#failures[@]} -gt 0 ] && echo "$lib_name: FAILED: ${failures[*]}"
  echo "$lib_label: $1"
  [ ${#failures[@]} -eq 0 ]
  exit
}

# timed LABEL CMD...: runs CMD, records its time; its output is kept in $logdir/step.log and
# printed only when it fails (the failure is recorded too).
timed() {
  local label=$1 start=$SECONDS log="$logdir/step.log"
  shift
  if "$@" >"$log" 2>&1; then
    timing+=("$label $((SECONDS - start))s")
    return 0
  fi
  cat "$log"
  echo "$lib_name: $label FAILED"
  failures+=("$label")
  timing+=("$label $((SECONDS - start))s (failed)")
  return 1
}

# npm_install DIR TARBALL: `npm ci` in DIR when its package-lock.json changed since the last one
# (or node_modules is missing; npm's cache is $npm_config_cache), then the tarball installed
# without saving. Finishes the run when either fails.
npm_install() {
  local dir=$1 tarball=$2 lock_sum
  lock_sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$lock_sum" ] || [ ! -d "$dir/node_modules" ]; then
    timed "npm ci" bash -c "cd '$dir' && npm ci --no-audit --no-fund --prefer-offline" || finish "npm ci failed"
    echo "$lock_sum" >"$dir/.installed"
  fi
  timed "npm install (tarball)" bash -c "cd '$dir' && npm install --no-save --no-audit --no-fund --prefer-offline '$tarball'" ||
    finish "npm install of the tarball failed"
  [ -f "$dir/node_modules/streamguard/package.json" ] || { failures+=("install"); finish "streamguard not installed"; }
}

# start_harness [serve ARGS...]: builds the harness, starts `serve` on a free port of
# 127.0.0.1 in its own process group (stopped by cleanup) and sets harness_url. Finishes the
# run when it does not come up.
start_harness() {
  local harness="${CARGO_TARGET_DIR:-$STREAMGUARD_ROOT/target}/debug/streamguard-harness"
  cargo build -q -p streamguard-harness --locked || { failures+=("harness build"); finish "harness build failed"; }
  setsid "$harness" serve --host 127.0.0.1 --port 0 --quiet "$@" \
    >"$logdir/harness.out" 2>"$logdir/harness.err" </dev/null &
  pids+=($!)
  harness_url=""
  for _ in $(seq 1 300); do
    harness_url=$(head -n 1 "$logdir/harness.out" 2>/dev/null | grep -Eo '^http://[0-9.:]+')
    [ -n "$harness_url" ] && return 0
    sleep 0.1
  done
  cat "$logdir/harness.err"
  failures+=("harness")
  finish "the harness did not start"
}
