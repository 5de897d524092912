#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for a short fixed budget from its
# committed seeds (fuzz/seeds/TARGET/), failing on any crash, panic, leak-free OOM or timeout.
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]      (default 5)
# Built with `--dev -s none`: unoptimized (about half the cold build time of the default
# release build; overflow checks on) and without AddressSanitizer (the code under test has no
# unsafe; a panic is what the targets catch). cargo-fuzz needs nightly-only rustc flags
# (-Zsanitizer, sancov passes); RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# New inputs go to a temporary corpus; the seeds are not changed. A crash leaves its input in
# fuzz/artifacts/TARGET/ and prints the command that replays it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT/fuzz"
secs=${1:-5}
export RUSTC_BOOTSTRAP=1
flags=(--dev -s none)
command -v cargo-fuzz >/dev/null || { echo "fuzz-smoke: cargo-fuzz is missing (scripts/setup.sh installs it)"; exit 1; }
start=$SECONDS
cargo fuzz build "${flags[@]}"
echo "fuzz-smoke: built every target in $((SECONDS - start)) s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for target in $(cargo fuzz list); do
  [ -d "seeds/$target" ] || { echo "fuzz-smoke: $target has no seeds/$target"; failed+=("$target"); continue; }
  mkdir -p "$work/$target"
  if cargo fuzz run "${flags[@]}" "$target" "$work/$target" "seeds/$target" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$work/$target.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz-smoke: $target ok ($runs runs in ${secs} s)"
  else
    tail -n 40 "$work/$target.log"
    echo "fuzz-smoke: $target FAILED; replay: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} $target fuzz/artifacts/$target/<file>)"
    failed+=("$target")
  fi
done
echo "fuzz-smoke: $((SECONDS - start)) s in all"
[ ${#failed[@]} -eq 0 ] || { echo "fuzz-smoke: failed: ${failed[*]}"; exit 1; }
