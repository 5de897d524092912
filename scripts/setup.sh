#!/usr/bin/env bash
# Installs everything the demo and the tests need that is missing. Idempotent: each step is
# skipped when the right version is already there. Versions follow ../shared/TOOLCHAIN.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$STREAMGUARD_ROOT"

step() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
SUDO=""
if [ "$(id -u)" != 0 ] && have sudo; then SUDO=sudo; fi

WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
TWIGGY_VERSION=0.8.0
BINARYEN_VERSION=132.0.0
TYPESCRIPT_VERSION=5.9.3
ESBUILD_VERSION=0.28.2
TERSER_VERSION=5.51.4
CARGO_FUZZ_VERSION=0.13.2

# The wasm-bindgen CLI must be exactly the wasm-bindgen crate version in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "setup: wasm-bindgen not found in Cargo.lock" >&2; exit 1; }

# wasm32-unknown-unknown: the browser build; wasm32-wasip1: the core's unit tests on wasm32 in
# Node's WASI (scripts/wasi-run.mjs).
# (the lists are read whole first: `grep -q` closing the pipe early would fail rustup with
# SIGPIPE under pipefail and re-add what is there)
installed_targets=$(rustup target list --installed)
installed_components=$(rustup component list --installed)
for target in wasm32-unknown-unknown wasm32-wasip1; do
  if ! grep -qx "$target" <<<"$installed_targets"; then
    step "rustup target add $target"
    rustup target add "$target"
  fi
done
# rust-src: scripts/build-wasm.sh rebuilds the standard library for the release wasm.
for component in rustfmt clippy rust-src; do
  if ! grep -q "^$component" <<<"$installed_components"; then
    step "rustup component add $component"
    rustup component add "$component"
  fi
done

missing_debs=()
have chromium || missing_debs+=(chromium)
have chromedriver || missing_debs+=(chromium-driver)
have firefox || have firefox-esr || missing_debs+=(firefox-esr)
have gzip || missing_debs+=(gzip)
have c++ || missing_debs+=(g++)  # libfuzzer-sys compiles libFuzzer (C++)
have node || missing_debs+=(nodejs)
have npm || missing_debs+=(npm)
have WebKitWebDriver || missing_debs+=(webkit2gtk-driver)  # WebKit (scripts/runtime-test.sh webkit)
have Xvfb || missing_debs+=(xvfb)
if [ ${#missing_debs[@]} -gt 0 ]; then
  step "apt-get install ${missing_debs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing_debs[@]}" >/dev/null
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2.5 min cold)"
  # No --locked: the reachable index lacks a crate version its lock file names (TOOLCHAIN.md).
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
  step "cargo install wasm-pack $WASM_PACK_VERSION (about 3 min cold)"
  cargo install -q --locked wasm-pack --version "$WASM_PACK_VERSION" --force
fi
if [ "$(geckodriver --version 2>/dev/null | head -n1 | awk '{print $2}')" != "$GECKODRIVER_VERSION" ]; then
  step "cargo install geckodriver $GECKODRIVER_VERSION (about 1.2 min cold)"
  cargo install -q --locked geckodriver --version "$GECKODRIVER_VERSION" --force
fi

# The fuzz targets (scripts/fuzz-smoke.sh): cargo-fuzz on the stable toolchain, whose
# nightly-only rustc flags are allowed by RUSTC_BOOTSTRAP=1 in the fuzz scripts.
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  step "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about 1.5 min cold)"
  cargo install -q --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" --force
fi

# twiggy: what takes the space in the wasm (scripts/web-test.sh prints its top items).
if [ "$(twiggy --version 2>/dev/null | awk '{print $2}')" != "$TWIGGY_VERSION" ]; then
  step "cargo install twiggy $TWIGGY_VERSION (about 3.5 min cold on 2 busy cores, 1m45s of CPU)"
  cargo install -q --locked twiggy --version "$TWIGGY_VERSION" --force
fi

# npm tools, pinned, in build/tools: wasm-opt (binaryen >= 110), tsc, esbuild and terser (the
# shipped JS is bundled and minified by scripts/bundle-glue.sh).
tools_ok() {
  [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" = "${BINARYEN_VERSION%%.*}" ] &&
    [ "$(tsc --version 2>/dev/null | awk '{print $2}')" = "$TYPESCRIPT_VERSION" ] &&
    [ "$(esbuild --version 2>/dev/null)" = "$ESBUILD_VERSION" ] &&
    [ "$(terser --version 2>/dev/null)" = "terser $TERSER_VERSION" ]
}
if ! tools_ok; then
  step "npm install binaryen@$BINARYEN_VERSION typescript@$TYPESCRIPT_VERSION esbuild@$ESBUILD_VERSION terser@$TERSER_VERSION into build/tools"
  mkdir -p "$STREAMGUARD_TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$STREAMGUARD_TOOLS" \
    "binaryen@$BINARYEN_VERSION" "typescript@$TYPESCRIPT_VERSION" "esbuild@$ESBUILD_VERSION" \
    "terser@$TERSER_VERSION" >/dev/null
  hash -r
fi

# The demo test's npm dependencies (playwright-core drives Debian's chromium).
if [ -f tests/e2e/package-lock.json ] && [ ! -d tests/e2e/node_modules ]; then
  step "npm ci in tests/e2e"
  (cd tests/e2e && npm ci --silent --no-audit --no-fund >/dev/null)
fi
# The harness the browser tests need: the browser wrappers of webdriver.json start this binary,
# so a bare `wasm-pack test --headless --chrome` works after set-up.
step "cargo build -p streamguard-harness"
cargo build -q -p streamguard-harness --locked

step "ready: $(wasm-bindgen --version), $(wasm-pack --version), $(geckodriver --version | head -n1), wasm-opt $(wasm-opt --version | awk '{print $3}'), $(twiggy --version), $(cargo fuzz --version), $(chromium --version 2>/dev/null | head -n1)"
