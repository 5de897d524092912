#!/usr/bin/env bash
# The browser tests' mock server (target/debug/streamguard-harness) on a fixed loopback port,
# started on demand by the browser wrappers that webdriver.json names (scripts/webdriver/), so
# that a bare `wasm-pack test --headless --chrome` (or `--firefox`, or `cargo test --target
# wasm32-unknown-unknown` with CHROMEDRIVER or GECKODRIVER set) finds it. It runs while a browser
# it was started for lives, and stops a few seconds after the last one exits.
#
#   scripts/web-harness.sh attach PID   start the harness unless it runs; keep it up while PID lives
#   scripts/web-harness.sh stop         stop it now
#   scripts/web-harness.sh url          print its URL
#
# The URL is STREAMGUARD_HARNESS_URL (default http://127.0.0.1:47331), the same variable the
# browser tests read when they are built (tests/web_support/mod.rs); two checkouts testing at the
# same time need different ports. State, the lock and the harness's logs are in
# target/web-harness/.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
url="${STREAMGUARD_HARNESS_URL:-http://127.0.0.1:47331}"
port="${url##*:}"
port="${port%%/*}"
state="$root/target/web-harness"
bin="$root/target/debug/streamguard-harness"
# Seconds the harness outlives the last browser: the next test binary's browser starts within
# them (wasm-bindgen-test-runner prepares each binary for a second or two first).
grace="${STREAMGUARD_HARNESS_GRACE:-8}"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
harness_pid() { cat "$state/pid" 2>/dev/null; }
running() { local p; p=$(harness_pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
lock() { mkdir -p "$state/users"; exec 9>"$state/lock"; flock 9; }
unlock() { flock -u 9; exec 9>&-; }
log() { echo "$(date +%T) $*" >>"$state/log"; }

attach() {
  local pid=$1
  lock
  : >"$state/users/$pid"
  if running; then
    log "browser $pid: harness $(harness_pid) already running"
    unlock
    return 0
  fi
  if listening; then
    # Someone else's server on the port (a harness started by hand): use it, do not manage it.
    log "browser $pid: port $port is served by another process; using it"
    echo "web-harness: port $port is already served; using it" >&2
    unlock
    return 0
  fi
  if [ ! -x "$bin" ]; then
    echo "web-harness: $bin is missing: run scripts/setup.sh (or cargo build -p streamguard-harness)" >&2
    unlock
    return 1
  fi
  setsid "$bin" serve --host 127.0.0.1 --port "$port" --quiet \
    --scenarios "$root/tests/web_support/scenarios" >"$state/out" 2>"$state/err" </dev/null 9>&- &
  echo $! >"$state/pid"
  log "browser $pid: started harness $! on port $port"
  setsid "$0" watch >/dev/null 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 100); do
    listening && { unlock; return 0; }
    running || break
    sleep 0.1
  done
  echo "web-harness: the harness did not start on port $port:" >&2
  cat "$state/err" >&2
  unlock
  return 1
}

# Stops the harness once no attached browser has lived for `grace` seconds.
watch() {
  local idle=0 alive f p
  while sleep 1; do
    lock
    if ! running; then rm -f "$state/pid"; unlock; return 0; fi
    alive=0
    for f in "$state"/users/*; do
      [ -e "$f" ] || continue
      p=${f##*/}
      if kill -0 "$p" 2>/dev/null; then alive=1; else rm -f "$f"; fi
    done
    if [ "$alive" = 1 ]; then idle=0; else idle=$((idle + 1)); fi
    if [ "$idle" -ge "$grace" ]; then
      log "no browser for ${grace}s: stopping harness $(harness_pid)"
      kill "$(harness_pid)" 2>/dev/null
      rm -f "$state/pid"
      unlock
      return 0
    fi
    unlock
  done
}

stop() {
  lock
  if running; then
    log "stop: harness $(harness_pid)"
    kill "$(harness_pid)" 2>/dev/null
  fi
  rm -f "$state/pid" "$state"/users/*
  unlock
}

case "${1:-}" in
  attach) attach "${2:?attach PID}" ;;
  watch) watch ;;
  stop) stop ;;
  url) echo "$url" ;;
  *) echo "usage: $0 attach PID | stop | url" >&2; exit 2 ;;
esac
