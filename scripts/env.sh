# Sourced by the other scripts: puts the project's tools first on PATH.
# npm's binaryen (wasm-opt >= 110) must come before Debian's binaryen 108, which corrupts
# wasm-bindgen output (see ../shared/TOOLCHAIN.md).
STREAMGUARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export STREAMGUARD_ROOT
export STREAMGUARD_TOOLS="$STREAMGUARD_ROOT/build/tools"
export PATH="$STREAMGUARD_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
