#!/usr/bin/env bash
# Instruction counts of the core's hot path: the decoder + session loop of benches/session.rs
# (the browser benchmark's four fixtures, generated from the same seed), natively, one run per
# fixture in 1 KiB reads, under valgrind's callgrind. Unlike time on a shared machine, the
# count does not move from run to run: two builds compare exactly (run it before and after a
# change). The browser runs the same code compiled to wasm, so proportions there differ, but a
# change that removes work here removes it there; the browser benchmark
# (scripts/bench-browser.sh) stays the measure of speed. Not part of scripts/test.sh.
#
#   scripts/bench-instructions.sh                 # every fixture
#   scripts/bench-instructions.sh openai line     # some (openai, anthropic, line, tiny)
#   TOP=15 scripts/bench-instructions.sh openai   # more functions per fixture (default 8)
#
# Needs valgrind (Debian package `valgrind`). Prints, per fixture, the wire bytes, the
# instructions of the run and per byte, and the functions with the most instructions (self).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

say() { printf '\033[1mbench-instructions:\033[0m %s\n' "$*" >&2; }
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
  { say "valgrind is missing: apt-get install valgrind"; exit 1; }

fixtures=("$@")
[ ${#fixtures[@]} -gt 0 ] || fixtures=(openai anthropic line tiny)
top=${TOP:-8}

say "cargo bench --bench session --no-run"
exe=$(cargo bench --bench session --no-run 2>&1 | tee /dev/stderr | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -n 1)
[ -x "$exe" ] || { say "could not find the session bench executable"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in "${fixtures[@]}"; do
  out="$work/$f.out"
  # The filter `none` measures nothing; the bench's check still runs the fixture once, and
  # only the instructions inside that run (session::run) are counted.
  STREAMGUARD_BENCH_ONLY=$f valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect='session::run' "$exe" none >"$work/$f.log" 2>&1 ||
    { cat "$work/$f.log" >&2; say "valgrind failed on $f"; exit 1; }
  bytes=$(sed -n "s/^fixture $f  *\([0-9]*\) B.*/\1/p" "$work/$f.log")
  [ -n "$bytes" ] || { cat "$work/$f.log" >&2; say "no fixture named $f"; exit 1; }
  annotated=$(callgrind_annotate "$out")
  total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }' <<<"$annotated")
  printf '\n%-9s %11s B  %13s instructions  %6.2f per byte\n' "$f" "$bytes" "$total" \
    "$(awk -v t="$total" -v b="$bytes" 'BEGIN { print t / b }')"
  awk -v top="$top" '/file:function/ { on = 1; getline; next } on && NF && n++ < top' <<<"$annotated" |
    sed -E 's/ \[[^]]*\]$//; s/\?\?\?://; s/[^ ]*\.(rs|S|c)://; s/^/  /' | cut -c1-140
done
