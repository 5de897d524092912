#!/usr/bin/env bash
# The npm package the way a user gets it, from its packed tarball (scripts/package.sh):
#  1. tsc --strict over every TS/JS code block of README.md and npm/README.md, the API check
#     tests/ts/api.ts (bundler and nodenext resolution), a project whose lib lacks
#     esnext.disposable, and the React hook's types, all against the installed package;
#  2. production builds of a Vite 8 app, a webpack 5 app, a Next.js app (App Router, a client
#     component; next build, then next start) and a Vite React app for streamguard/react
#     (production and React's development build, for StrictMode);
#  3. tests/package/node.test.mjs: the loading rules in Node (no init, init(input) idempotent,
#     a failed load retried), then tests/package/run.mjs: every app in one headless Chromium
#     session against the harness, which also serves the static builds.
# The apps are copied to build/package-test/ (one npm workspace; versions pinned by
# tests/package/package-lock.json): `npm ci` runs only when the lock file changed, with npm's
# cache in build/npm-cache, and the tarball is installed with `npm install --no-save`.
# Exits non-zero on any failure; the last line is the summary.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$STREAMGUARD_ROOT"

src="$STREAMGUARD_ROOT/tests/package"
work="$STREAMGUARD_ROOT/build/package-test"
export npm_config_cache="$STREAMGUARD_ROOT/build/npm-cache"
export NEXT_TELEMETRY_DISABLED=1
lib_init package-test package
step() { printf '\n== package: %s\n' "$*"; }
for tool in node npm tsc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "package-test: $tool not found (run scripts/setup.sh)"; finish "not run"; }
done

# ---- the tarball ---------------------------------------------------------------------------
step "scripts/package.sh"
start=$SECONDS
tarball=$(scripts/package.sh | tail -n 1)
if [ ! -f "$tarball" ]; then
  failures+=("package.sh")
  finish "no tarball"
fi
timing+=("package.sh $((SECONDS - start))s")
echo "$tarball"

# ---- the apps and their dependencies -------------------------------------------------------
step "apps in $work (npm ci when the lock file changed), the tarball installed"
mkdir -p "$work"
# Sources only: the work copy keeps its node_modules and build caches.
for d in vite webpack next react shared ts; do
  find "$work/$d" -path "$work/$d/node_modules" -prune -o -path "$work/$d/.next" -prune -o -type f -print 2>/dev/null |
    xargs -r rm -f
done
tar -C "$src" --exclude=node_modules --exclude=dist --exclude=dist-dev --exclude=.next -cf - . | tar -C "$work" -xf -
cp tests/ts/api.ts "$work/ts/api.ts"
cp README.md "$work/ts/README.md"
cp npm/README.md "$work/ts/npm-README.md"
npm_install "$work" "$tarball"

# ---- TypeScript ----------------------------------------------------------------------------
step "tsc --strict: README code blocks, tests/ts/api.ts, the React hook, against the installed package"
if timed "README blocks" node "$work/ts/blocks.mjs" "$work/ts/blocks" "$work/ts/README.md" "$work/ts/npm-README.md"; then
  cat "$logdir/step.log"
fi
for cfg in tsconfig.json tsconfig.nodenext.json tsconfig.minimal.json; do
  timed "tsc $cfg" tsc -p "$work/ts/$cfg" && echo "tsc -p ts/$cfg: ok"
done

# ---- production builds ---------------------------------------------------------------------
step "builds: vite build, webpack, next build, vite build of the React app (production, development)"
vite() { (cd "$work/$1" && shift && node ../node_modules/vite/bin/vite.js build "$@"); }
timed "vite build" vite vite && echo "vite: ok"
timed "webpack" node "$work/webpack/build.mjs" && echo "webpack: ok"
timed "next build" bash -c "cd '$work/next' && node ../node_modules/next/dist/bin/next build" && echo "next build: ok"
timed "vite build (react)" vite react && echo "vite build (react): ok"
timed "vite build (react, development)" env NODE_ENV=development bash -c "cd '$work/react' && node ../node_modules/vite/bin/vite.js build" &&
  echo "vite build (react, development): ok"

# ---- Chromium against the harness ----------------------------------------------------------
step "Node, then the apps in headless Chromium, against the harness"
start_harness --static "$work/vite/dist:/vite" --static "$work/webpack/dist:/webpack" \
  --static "$work/react/dist:/react" --static "$work/react/dist-dev:/react-dev"
# In its own process group, so cleanup stops it with its children.
(cd "$work/next" && exec setsid node ../node_modules/next/dist/bin/next start --port 0 --hostname 127.0.0.1) \
  >"$logdir/next.out" 2>"$logdir/next.err" </dev/null &
pids+=($!)
next_url=""
for _ in $(seq 1 300); do
  next_url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$logdir/next.out" 2>/dev/null | head -n 1)
  [ -n "$next_url" ] && break
  sleep 0.1
done
if [ -z "$next_url" ]; then
  cat "$logdir/next.out" "$logdir/next.err"
  failures+=("next start")
  finish "next start did not come up"
fi
echo "harness $harness_url, next start $next_url"
start=$SECONDS
if node "$work/node.test.mjs" "$harness_url"; then
  timing+=("node $((SECONDS - start))s")
else
  timing+=("node $((SECONDS - start))s (failed)")
  failures+=("node")
fi
start=$SECONDS
if node "$work/run.mjs" "$harness_url" "$next_url"; then
  timing+=("chromium $((SECONDS - start))s")
else
  timing+=("chromium $((SECONDS - start))s (failed)")
  failures+=("chromium")
  echo "package-test: next start log (last 20 lines):"
  tail -n 20 "$logdir/next.out" "$logdir/next.err"
fi
if [ ${#failures[@]} -eq 0 ]; then finish "ok"; else finish "FAILED"; fi
