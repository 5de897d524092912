#!/usr/bin/env bash
# Long fuzzing runs (not part of the test command): every cargo-fuzz target in fuzz/, or the
# ones named, for SECONDS each (default 300), optimized and with AddressSanitizer (cargo-fuzz's
# defaults), each starting from its committed seeds plus the corpus kept in fuzz/corpus/TARGET
# (git-ignored; it grows run after run).
#   scripts/fuzz-long.sh [SECONDS] [TARGET...]
# RUSTC_BOOTSTRAP=1 lets the stable toolchain take cargo-fuzz's nightly-only flags.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT/fuzz"
secs=${1:-300}
shift || true
export RUSTC_BOOTSTRAP=1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
cargo fuzz build
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "fuzz-long: $target for $secs s"
  cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- -max_total_time="$secs" -timeout=10
done
