#!/usr/bin/env bash
# The core's size in the wasm: builds benches/wasm-size (a thin `Guard` around the core
# Driver, without the browser layer: `--cfg streamguard_core_only`) for wasm32 in release,
# runs wasm-bindgen (names kept: `twiggy top` shows Rust names), then wasm-opt -Oz as a
# shipped build would, and prints raw and gzip -9 sizes of the wasm and the JS glue.
#
#   scripts/wasm-size.sh            # the size table
#   scripts/wasm-size.sh --top 30   # and twiggy's 30 largest items (of the named build)
#
# Needs what scripts/setup.sh installs (wasm-bindgen, build/tools' wasm-opt; twiggy for --top:
# `cargo install twiggy`). Builds into target/wasm-size (the cfg would rebuild target/ whole).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

top=0
if [ "${1:-}" = "--top" ]; then top=${2:-25}; fi

out=build/wasm-size
target=target/wasm-size
RUSTFLAGS="--cfg streamguard_core_only" CARGO_TARGET_DIR=$target nice cargo build -q --release \
  --target wasm32-unknown-unknown --manifest-path benches/wasm-size/Cargo.toml
rm -rf "$out"
wasm-bindgen --target web --out-dir "$out/named" \
  "$target/wasm32-unknown-unknown/release/streamguard_wasm_size.wasm"
mkdir -p "$out/opt"
# A Node build of the same wasm (-Oz), for benches/wasm-size/bench.mjs.
wasm-bindgen --target nodejs --out-dir "$out/node" \
  "$target/wasm32-unknown-unknown/release/streamguard_wasm_size.wasm"
wasm-opt -Oz "$out/node/streamguard_wasm_size_bg.wasm" -o "$out/node/streamguard_wasm_size_bg.wasm"
cp "$out/named/streamguard_wasm_size.js" "$out/opt/"
wasm-opt -Oz "$out/named/streamguard_wasm_size_bg.wasm" -o "$out/opt/streamguard_wasm_size_bg.wasm"

size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
wasm=$out/opt/streamguard_wasm_size_bg.wasm
js=$out/opt/streamguard_wasm_size.js
printf '%-34s %10s %10s\n' "file" "raw B" "gzip -9 B"
printf '%-34s %10s %10s\n' "wasm (wasm-bindgen, names kept)" "$(size "$out/named/streamguard_wasm_size_bg.wasm")" "$(gz "$out/named/streamguard_wasm_size_bg.wasm")"
printf '%-34s %10s %10s\n' "wasm (wasm-opt -Oz)" "$(size "$wasm")" "$(gz "$wasm")"
printf '%-34s %10s %10s\n' "JS glue" "$(size "$js")" "$(gz "$js")"
printf '%-34s %10s %10s\n' "total (wasm -Oz + glue)" "$(($(size "$wasm") + $(size "$js")))" "$(($(gz "$wasm") + $(gz "$js")))"
if [ "$top" != 0 ]; then
  twiggy top -n "$top" "$out/named/streamguard_wasm_size_bg.wasm"
fi
